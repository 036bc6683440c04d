<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * Approval history, generated files, notifications and Laravel's failed_jobs.
     *
     * @return void
     */
    public function up()
    {
        Schema::create('approval_logs', function (Blueprint $table) {
            $table->id();
            $table->unsignedBigInteger('sppd_id');
            $table->integer('user_id');
            $table->string('action', 20);
            $table->text('catatan')->nullable();
            $table->timestampTz('created_at')->useCurrent();
            $table->foreign('user_id')->references('id')->on('users');
        });

        Schema::create('documents', function (Blueprint $table) {
            $table->id();
            $table->unsignedBigInteger('sppd_id');
            $table->integer('user_id');
            $table->string('status', 20)->default('queued');
            $table->text('path')->nullable();
            $table->timestampTz('created_at')->useCurrent();
            $table->timestampTz('finished_at')->nullable();
            $table->foreign('user_id')->references('id')->on('users');
        });

        Schema::create('exports', function (Blueprint $table) {
            $table->id();
            $table->integer('user_id');
            $table->integer('bulan');
            $table->integer('tahun');
            $table->string('status', 20)->default('queued');
            $table->text('path')->nullable();
            $table->timestampTz('created_at')->useCurrent();
            $table->timestampTz('finished_at')->nullable();
            $table->foreign('user_id')->references('id')->on('users');
        });

        Schema::create('notifications', function (Blueprint $table) {
            $table->id();
            $table->integer('user_id');
            $table->string('type');
            $table->jsonb('data');
            $table->timestampTz('read_at')->nullable();
            $table->timestampTz('created_at')->useCurrent();
            $table->foreign('user_id')->references('id')->on('users');
        });

        Schema::create('failed_jobs', function (Blueprint $table) {
            $table->id();
            $table->string('uuid')->unique();
            $table->text('connection');
            $table->text('queue');
            $table->longText('payload');
            $table->longText('exception');
            $table->timestampTz('failed_at')->useCurrent();
        });

        $checks = [
            'approval_logs' => "action IN ('diajukan', 'disetujui', 'ditolak')",
            'documents' => "status IN ('queued', 'ready', 'failed')",
            'exports' => "status IN ('queued', 'ready', 'failed') AND bulan BETWEEN 1 AND 12",
        ];
        foreach ($checks as $table => $condition) {
            DB::statement("ALTER TABLE {$table} ADD CONSTRAINT {$table}_check CHECK ({$condition})");
        }
    }

    /**
     * Reverse the migrations.
     *
     * @return void
     */
    public function down()
    {
        foreach (['failed_jobs', 'notifications', 'exports', 'documents', 'approval_logs'] as $table) {
            Schema::dropIfExists($table);
        }
    }
};
