{{-- Plain text: HTML escaping would show "&amp;" in the mail reader. --}}
{!! $heading !!}

{!! $body !!}

-- 
eSPPD
