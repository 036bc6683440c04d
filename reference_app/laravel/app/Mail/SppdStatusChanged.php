<?php

namespace App\Mail;

use Illuminate\Bus\Queueable;
use Illuminate\Mail\Mailable;

class SppdStatusChanged extends Mailable
{
    use Queueable;

    public function __construct(public string $heading, public string $body)
    {
    }

    /**
     * @return $this
     */
    public function build()
    {
        return $this->subject($this->heading)->text('mail.sppd-status');
    }
}
