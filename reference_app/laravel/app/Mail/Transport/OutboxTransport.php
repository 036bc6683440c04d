<?php

namespace App\Mail\Transport;

use Illuminate\Mail\Transport\Transport;
use Illuminate\Support\Str;
use Swift_Mime_SimpleMessage;

/**
 * Delivers each message as one .eml file in a local outbox directory.
 *
 * The embedded stack has no mail server; a real file per message keeps the
 * cost of rendering and writing a mail inside the queue worker, where it is
 * in production, and lets tests read what was sent.
 */
class OutboxTransport extends Transport
{
    /**
     * @var string
     */
    protected $path;

    public function __construct(string $path)
    {
        $this->path = $path;
    }

    /**
     * {@inheritdoc}
     */
    public function send(Swift_Mime_SimpleMessage $message, &$failedRecipients = null)
    {
        $this->beforeSendPerformed($message);

        if (! is_dir($this->path)) {
            mkdir($this->path, 0775, true);
        }

        file_put_contents($this->path . '/' . Str::uuid() . '.eml', $message->toString());

        $this->sendPerformed($message);

        return $this->numberOfRecipients($message);
    }
}
