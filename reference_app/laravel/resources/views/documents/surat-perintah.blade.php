<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<style>
body{font-family:Helvetica,sans-serif;font-size:11pt}
h1{font-size:14pt;text-align:center}
table{border-collapse:collapse;width:100%}
td{border:1px solid #000;padding:4px;vertical-align:top}
</style>
</head>
<body>
<h1>SURAT PERINTAH PERJALANAN DINAS</h1>
<p>Nomor: {{ $sppd->nomor ?? '(belum bernomor)' }}</p>
<table>
<tr><td>Pegawai yang diperintah</td><td>{{ $sppd->user->name }} (NIP {{ $sppd->user->nip }})</td></tr>
<tr><td>Pangkat / golongan</td><td>{{ $sppd->user->golongan }}</td></tr>
<tr><td>Jabatan</td><td>{{ $sppd->user->jabatan }}</td></tr>
<tr><td>Unit kerja</td><td>{{ $sppd->unitKerja->nama }}</td></tr>
<tr><td>Maksud perjalanan dinas</td><td>{{ $sppd->maksud }}</td></tr>
<tr><td>Alat angkutan</td><td>{{ $sppd->transportasi->nama }}</td></tr>
<tr><td>Tempat tujuan</td><td>{{ $sppd->tujuan->kota }}, {{ $sppd->tujuan->provinsi }}</td></tr>
<tr><td>Tanggal berangkat</td><td>{{ $sppd->tanggal_berangkat->toDateString() }}</td></tr>
<tr><td>Tanggal kembali</td><td>{{ $sppd->tanggal_kembali->toDateString() }}</td></tr>
<tr><td>Lama perjalanan</td><td>{{ $sppd->tanggal_berangkat->diffInDays($sppd->tanggal_kembali) + 1 }} hari</td></tr>
<tr><td>Biaya</td><td>Rp {{ number_format($sppd->biaya, 0, ',', '.') }}</td></tr>
</table>
<p>Demikian surat perintah ini dibuat untuk dilaksanakan.</p>
</body>
</html>
