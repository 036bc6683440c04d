<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Database\Schema\Blueprint;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

return new class extends Migration
{
    /**
     * Units, people, destinations, transport, budgets and role permissions.
     *
     * @return void
     */
    public function up()
    {
        Schema::create('unit_kerja', function (Blueprint $table) {
            $table->integer('id')->primary();
            $table->string('kode', 20)->unique();
            $table->string('nama');
            $table->integer('parent_id')->nullable();
        });
        Schema::table('unit_kerja', function (Blueprint $table) {
            $table->foreign('parent_id')->references('id')->on('unit_kerja');
        });

        Schema::create('users', function (Blueprint $table) {
            $table->integer('id')->primary();
            $table->string('nip', 32);
            $table->string('name');
            $table->string('email')->unique();
            $table->string('password');
            $table->string('role', 20);
            $table->integer('unit_kerja_id');
            $table->string('jabatan');
            $table->string('golongan', 10);
            $table->timestampTz('created_at')->useCurrent();
            $table->foreign('unit_kerja_id')->references('id')->on('unit_kerja');
        });

        Schema::create('transportasi', function (Blueprint $table) {
            $table->integer('id')->primary();
            $table->string('nama');
            $table->string('jenis', 20);
        });

        Schema::create('tujuan', function (Blueprint $table) {
            $table->integer('id')->primary();
            $table->string('kota');
            $table->string('provinsi');
            $table->decimal('uang_harian', 12, 0);
        });

        Schema::create('pagu', function (Blueprint $table) {
            $table->integer('id')->primary();
            $table->integer('unit_kerja_id');
            $table->integer('tahun');
            $table->decimal('jumlah', 16, 0);
            $table->decimal('terpakai', 16, 0)->default(0);
            $table->unique(['unit_kerja_id', 'tahun']);
            $table->foreign('unit_kerja_id')->references('id')->on('unit_kerja');
        });

        // One row per year: the SPPD letter number counter (the hot-row knob's row).
        Schema::create('nomor_counter', function (Blueprint $table) {
            $table->integer('tahun')->primary();
            $table->integer('nomor')->default(0);
        });

        Schema::create('role_permissions', function (Blueprint $table) {
            $table->string('role', 20);
            $table->string('permission', 50);
            $table->primary(['role', 'permission']);
        });

        DB::statement("ALTER TABLE users ADD CONSTRAINT users_role_check "
            . "CHECK (role IN ('dosen', 'atasan', 'keuangan', 'admin'))");
    }

    /**
     * Reverse the migrations.
     *
     * @return void
     */
    public function down()
    {
        foreach (['role_permissions', 'nomor_counter', 'pagu', 'tujuan', 'transportasi', 'users', 'unit_kerja'] as $table) {
            Schema::dropIfExists($table);
        }
    }
};
