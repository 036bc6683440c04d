<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\Schema;

/**
 * One index per foreign key and per column the pages filter or sort by.
 *
 * `esppd.indexes = false` (the indexes knob) skips this migration's work: the
 * careless migration that ships primary keys and unique constraints only.
 */
return new class extends Migration
{
    public const INDEXES = [
        'users' => [['nip'], ['unit_kerja_id']],
        'unit_kerja' => [['parent_id']],
        'sppd' => [
            ['user_id', 'status'],
            ['unit_kerja_id', 'status'],
            ['tanggal_berangkat', 'tanggal_kembali'],
            ['tujuan_id'],
            ['transportasi_id'],
            ['id'],
        ],
        'laporan_perjalanan' => [['sppd_id'], ['user_id']],
        'approval_logs' => [['sppd_id'], ['user_id'], ['created_at']],
        'documents' => [['sppd_id'], ['user_id']],
        'exports' => [['user_id']],
        'notifications' => [['user_id', 'read_at']],
    ];

    /**
     * Run the migrations.
     *
     * @return void
     */
    public function up()
    {
        if (! config('esppd.indexes')) {
            return;
        }
        foreach (self::INDEXES as $tableName => $indexes) {
            Schema::table($tableName, function (Blueprint $table) use ($tableName, $indexes) {
                foreach ($indexes as $columns) {
                    $table->index($columns, $tableName . '_' . implode('_', $columns) . '_idx');
                }
            });
        }
    }

    /**
     * Reverse the migrations.
     *
     * @return void
     */
    public function down()
    {
        foreach (self::INDEXES as $tableName => $indexes) {
            Schema::table($tableName, function (Blueprint $table) use ($tableName, $indexes) {
                foreach ($indexes as $columns) {
                    $table->dropIndex($tableName . '_' . implode('_', $columns) . '_idx');
                }
            });
        }
    }
};
