-- eSPPD reference schema (PostgreSQL >= 13).
-- sppd and laporan_perjalanan are partitioned by year; the yearly partitions
-- are created by reference_app.schema for the seeded years plus the current
-- and next year, with a DEFAULT partition catching the rest.
-- Indexes that the `indexes=off` knob drops are created separately, from
-- reference_app.schema.FILTER_INDEXES, so the list exists once.

CREATE TABLE unit_kerja (
    id          integer PRIMARY KEY,
    kode        text NOT NULL UNIQUE,
    nama        text NOT NULL,
    parent_id   integer REFERENCES unit_kerja (id)
);

CREATE TABLE users (
    id             integer PRIMARY KEY,
    nip            text NOT NULL,
    name           text NOT NULL,
    email          text NOT NULL UNIQUE,
    password       text NOT NULL,
    role           text NOT NULL CHECK (role IN ('dosen', 'atasan', 'dekan', 'ppk', 'keuangan', 'admin')),
    unit_kerja_id  integer NOT NULL REFERENCES unit_kerja (id),
    jabatan        text NOT NULL,
    golongan       text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transportasi (
    id     integer PRIMARY KEY,
    nama   text NOT NULL,
    jenis  text NOT NULL
);

CREATE TABLE tujuan (
    id           integer PRIMARY KEY,
    kota         text NOT NULL,
    provinsi     text NOT NULL,
    uang_harian  numeric(12, 0) NOT NULL
);

CREATE TABLE pagu (
    id             integer PRIMARY KEY,
    unit_kerja_id  integer NOT NULL REFERENCES unit_kerja (id),
    tahun          integer NOT NULL,
    jumlah         numeric(16, 0) NOT NULL,
    terpakai       numeric(16, 0) NOT NULL DEFAULT 0,
    UNIQUE (unit_kerja_id, tahun)
);

-- One row per year: the SPPD letter number counter (the hot_row_lock knob's row).
CREATE TABLE nomor_counter (
    tahun   integer PRIMARY KEY,
    nomor   integer NOT NULL DEFAULT 0
);

CREATE SEQUENCE sppd_id_seq;
CREATE TABLE sppd (
    id                 bigint NOT NULL DEFAULT nextval('sppd_id_seq'),
    nomor              text,
    nomor_agenda       integer,
    user_id            integer NOT NULL,
    unit_kerja_id      integer NOT NULL,
    tujuan_id          integer NOT NULL,
    transportasi_id    integer NOT NULL,
    maksud             text NOT NULL,
    tanggal_berangkat  date NOT NULL,
    tanggal_kembali    date NOT NULL,
    biaya              numeric(14, 0) NOT NULL,
    status             text NOT NULL DEFAULT 'draft'
                       CHECK (status IN ('draft', 'diajukan', 'disetujui', 'ditolak', 'selesai')),
    approval_level     smallint NOT NULL DEFAULT 0,  -- approvals granted so far
    approved_by        integer,
    approved_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, tanggal_berangkat),
    CHECK (tanggal_kembali >= tanggal_berangkat)
) PARTITION BY RANGE (tanggal_berangkat);
ALTER SEQUENCE sppd_id_seq OWNED BY sppd.id;

CREATE SEQUENCE laporan_id_seq;
CREATE TABLE laporan_perjalanan (
    id               bigint NOT NULL DEFAULT nextval('laporan_id_seq'),
    sppd_id          bigint NOT NULL,
    user_id          integer NOT NULL,
    tanggal_laporan  date NOT NULL,
    ringkasan        text NOT NULL,
    biaya_riil       numeric(14, 0) NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (id, tanggal_laporan)
) PARTITION BY RANGE (tanggal_laporan);
ALTER SEQUENCE laporan_id_seq OWNED BY laporan_perjalanan.id;

-- The approval chain: level 1 decides first; the last level approves the SPPD.
CREATE TABLE approval_levels (
    level  smallint PRIMARY KEY CHECK (level >= 1),
    role   text NOT NULL UNIQUE,
    scope  text NOT NULL CHECK (scope IN ('unit', 'faculty', 'all'))
);

CREATE TABLE approval_logs (
    id          bigserial PRIMARY KEY,
    sppd_id     bigint NOT NULL,
    user_id     integer NOT NULL REFERENCES users (id),
    action      text NOT NULL CHECK (action IN ('diajukan', 'disetujui', 'ditolak')),
    level       smallint,  -- the approval level that decided (NULL: the submission)
    catatan     text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE documents (
    id           bigserial PRIMARY KEY,
    sppd_id      bigint NOT NULL,
    user_id      integer NOT NULL REFERENCES users (id),
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'ready', 'failed')),
    path         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE TABLE exports (
    id           bigserial PRIMARY KEY,
    user_id      integer NOT NULL REFERENCES users (id),
    bulan        integer NOT NULL CHECK (bulan BETWEEN 1 AND 12),
    tahun        integer NOT NULL,
    status       text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'ready', 'failed')),
    path         text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz
);

CREATE TABLE notifications (
    id          bigserial PRIMARY KEY,
    user_id     integer NOT NULL REFERENCES users (id),
    type        text NOT NULL,
    data        jsonb NOT NULL,
    read_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Laravel's failed_jobs layout.
CREATE TABLE failed_jobs (
    id          bigserial PRIMARY KEY,
    uuid        text NOT NULL UNIQUE,
    connection  text NOT NULL,
    queue       text NOT NULL,
    payload     text NOT NULL,
    exception   text NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now()
);

-- What each role may do (read through the 6 h permission cache).
CREATE TABLE role_permissions (
    role        text NOT NULL,
    permission  text NOT NULL,
    PRIMARY KEY (role, permission)
);
