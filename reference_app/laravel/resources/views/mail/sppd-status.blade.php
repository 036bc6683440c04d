{{ $heading }}

{{ $body }}

-- 
eSPPD
