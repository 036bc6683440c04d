<?php

namespace App\Jobs;

use App\Mail\SppdStatusChanged;
use App\Models\User;
use App\Models\UserNotification;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Mail;

/**
 * Tell a user about their SPPD (or one awaiting them): in the app and by mail.
 */
class SendSppdNotification extends EsppdJob
{
    public function __construct(
        public int $userId,
        public string $type,
        public int $sppdId,
        public string $subject,
        public string $body
    ) {
        $this->onQueue('notifications');
    }

    /**
     * The row commits only once the mail is written, so a retry never adds a second one.
     */
    public function handle(): void
    {
        $user = User::findOrFail($this->userId);
        DB::transaction(function () use ($user) {
            UserNotification::create([
                'user_id' => $user->id,
                'type' => $this->type,
                'data' => [
                    'user_id' => $user->id,
                    'type' => $this->type,
                    'sppd_id' => $this->sppdId,
                    'subject' => $this->subject,
                    'body' => $this->body,
                ],
            ]);
            Mail::to($user)->send(new SppdStatusChanged($this->subject, $this->body));
        });
    }
}
