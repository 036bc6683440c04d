<?php

use Illuminate\Database\Migrations\Migration;
use Illuminate\Support\Facades\DB;
use Illuminate\Support\Facades\Schema;

/**
 * Travel orders and trip reports, partitioned by year.
 *
 * The schema builder has no partitioning, so these two tables are written in
 * each engine's own DDL: PostgreSQL declarative partitions (one per year and a
 * DEFAULT), MariaDB/MySQL `PARTITION BY RANGE COLUMNS` (one per year, one for
 * older rows and a MAXVALUE catch-all). Years: five back to next year, which
 * covers every seed size.
 */
return new class extends Migration
{
    private const TABLES = [
        'sppd' => 'tanggal_berangkat',
        'laporan_perjalanan' => 'tanggal_laporan',
    ];

    /**
     * Run the migrations.
     *
     * @return void
     */
    public function up()
    {
        $years = range((int) date('Y') - 5, (int) date('Y') + 1);
        $mysql = DB::getDriverName() === 'mysql';

        DB::statement($mysql ? $this->mysqlSppd() : $this->postgresSppd());
        DB::statement($mysql ? $this->mysqlLaporan() : $this->postgresLaporan());

        foreach (self::TABLES as $table => $column) {
            if ($mysql) {
                DB::statement("ALTER TABLE {$table} PARTITION BY RANGE COLUMNS ({$column}) ("
                    . implode(', ', $this->mysqlPartitions($table, $years)) . ')');
                continue;
            }
            foreach ($years as $year) {
                $next = $year + 1;
                DB::statement("CREATE TABLE {$table}_{$year} PARTITION OF {$table} "
                    . "FOR VALUES FROM ('{$year}-01-01') TO ('{$next}-01-01')");
            }
            DB::statement("CREATE TABLE {$table}_default PARTITION OF {$table} DEFAULT");
        }
    }

    /**
     * Reverse the migrations.
     *
     * @return void
     */
    public function down()
    {
        Schema::dropIfExists('laporan_perjalanan');
        Schema::dropIfExists('sppd');
    }

    /**
     * @param  array<int, int>  $years
     * @return array<int, string>
     */
    private function mysqlPartitions(string $table, array $years): array
    {
        $partitions = ["PARTITION {$table}_before VALUES LESS THAN ('{$years[0]}-01-01')"];
        foreach ($years as $year) {
            $next = $year + 1;
            $partitions[] = "PARTITION {$table}_{$year} VALUES LESS THAN ('{$next}-01-01')";
        }
        $partitions[] = "PARTITION {$table}_default VALUES LESS THAN (MAXVALUE)";

        return $partitions;
    }

    private function postgresSppd(): string
    {
        return <<<'SQL'
            CREATE TABLE sppd (
                id bigserial NOT NULL,
                nomor varchar(40),
                nomor_agenda integer,
                user_id integer NOT NULL,
                unit_kerja_id integer NOT NULL,
                tujuan_id integer NOT NULL,
                transportasi_id integer NOT NULL,
                maksud text NOT NULL,
                tanggal_berangkat date NOT NULL,
                tanggal_kembali date NOT NULL,
                biaya numeric(14, 0) NOT NULL,
                status varchar(20) NOT NULL DEFAULT 'draft',
                approved_by integer,
                approved_at timestamptz,
                created_at timestamptz NOT NULL DEFAULT now(),
                updated_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (id, tanggal_berangkat),
                CONSTRAINT sppd_status_check
                    CHECK (status IN ('draft', 'diajukan', 'disetujui', 'ditolak', 'selesai')),
                CONSTRAINT sppd_dates_check CHECK (tanggal_kembali >= tanggal_berangkat)
            ) PARTITION BY RANGE (tanggal_berangkat)
            SQL;
    }

    private function postgresLaporan(): string
    {
        return <<<'SQL'
            CREATE TABLE laporan_perjalanan (
                id bigserial NOT NULL,
                sppd_id bigint NOT NULL,
                user_id integer NOT NULL,
                tanggal_laporan date NOT NULL,
                ringkasan text NOT NULL,
                biaya_riil numeric(14, 0) NOT NULL,
                created_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (id, tanggal_laporan)
            ) PARTITION BY RANGE (tanggal_laporan)
            SQL;
    }

    private function mysqlSppd(): string
    {
        return <<<'SQL'
            CREATE TABLE sppd (
                id bigint unsigned NOT NULL AUTO_INCREMENT,
                nomor varchar(40) NULL,
                nomor_agenda int NULL,
                user_id int NOT NULL,
                unit_kerja_id int NOT NULL,
                tujuan_id int NOT NULL,
                transportasi_id int NOT NULL,
                maksud text NOT NULL,
                tanggal_berangkat date NOT NULL,
                tanggal_kembali date NOT NULL,
                biaya decimal(14, 0) NOT NULL,
                status varchar(20) NOT NULL DEFAULT 'draft',
                approved_by int NULL,
                approved_at timestamp NULL,
                created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
                updated_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (id, tanggal_berangkat),
                CONSTRAINT sppd_status_check
                    CHECK (status IN ('draft', 'diajukan', 'disetujui', 'ditolak', 'selesai')),
                CONSTRAINT sppd_dates_check CHECK (tanggal_kembali >= tanggal_berangkat)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            SQL;
    }

    private function mysqlLaporan(): string
    {
        return <<<'SQL'
            CREATE TABLE laporan_perjalanan (
                id bigint unsigned NOT NULL AUTO_INCREMENT,
                sppd_id bigint unsigned NOT NULL,
                user_id int NOT NULL,
                tanggal_laporan date NOT NULL,
                ringkasan text NOT NULL,
                biaya_riil decimal(14, 0) NOT NULL,
                created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
                PRIMARY KEY (id, tanggal_laporan)
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
            SQL;
    }
};
