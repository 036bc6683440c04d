<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * The approval chain (level 1 decides first, the last level approves the SPPD),
     * how far each SPPD has climbed it, and the dean and commitment officer roles.
     *
     * @return void
     */
    public function up()
    {
        Schema::create('approval_levels', function (Blueprint $table) {
            $table->smallInteger('level')->primary();
            $table->string('role', 20)->unique();
            $table->string('scope', 10);
        });
        DB::statement('ALTER TABLE approval_levels ADD CONSTRAINT approval_levels_check '
            . "CHECK (level >= 1 AND scope IN ('unit', 'faculty', 'all'))");

        Schema::table('sppd', function (Blueprint $table) {
            $table->smallInteger('approval_level')->default(0);
        });
        Schema::table('approval_logs', function (Blueprint $table) {
            $table->smallInteger('level')->nullable();
        });

        DB::statement('ALTER TABLE users DROP CONSTRAINT users_role_check');
        DB::statement('ALTER TABLE users ADD CONSTRAINT users_role_check '
            . "CHECK (role IN ('dosen', 'atasan', 'dekan', 'ppk', 'keuangan', 'admin'))");
    }

    /**
     * Reverse the migrations.
     *
     * @return void
     */
    public function down()
    {
        DB::statement('ALTER TABLE users DROP CONSTRAINT users_role_check');
        DB::statement('ALTER TABLE users ADD CONSTRAINT users_role_check '
            . "CHECK (role IN ('dosen', 'atasan', 'keuangan', 'admin'))");
        Schema::table('approval_logs', function (Blueprint $table) {
            $table->dropColumn('level');
        });
        Schema::table('sppd', function (Blueprint $table) {
            $table->dropColumn('approval_level');
        });
        Schema::dropIfExists('approval_levels');
    }
};
