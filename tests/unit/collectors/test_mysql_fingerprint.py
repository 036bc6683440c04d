"""Fingerprints: what a digest is, for the statements MariaDB does not digest."""

from __future__ import annotations

from collectors.sqlnorm import fingerprint


def test_literals_become_placeholders_and_the_same_statement_gets_the_same_id() -> None:
    one = fingerprint("select * from `sppd` where `user_id` = 12 and `status` in ('diajukan', "
                      "'disetujui') order by `tanggal_berangkat` desc limit 15 offset 30")
    other = fingerprint("SELECT * FROM `sppd` WHERE `user_id` = 907 AND `status` IN ('draft') "
                        "ORDER BY `tanggal_berangkat` DESC LIMIT 15 OFFSET 0")
    assert one[1] == ("select * from `sppd` where `user_id` = ? and `status` IN (...) order by "
                      "`tanggal_berangkat` desc limit ? offset ?")
    assert one[0] == other[0]  # the id ignores case and how many values the IN list has
    assert fingerprint(one[1].upper())[0] == fingerprint(one[1])[0]
    assert len(one[0]) == 32 and int(one[0], 16) >= 0


def test_identifiers_with_digits_and_escaped_quotes_survive() -> None:
    _id, text = fingerprint("SELECT t1.id FROM sppd_2025 t1 WHERE t1.maksud = 'it''s \\'x\\'' "
                            "AND t1.biaya > -3.5e2 AND x = 0x1F")
    assert text == "SELECT t1.id FROM sppd_2025 t1 WHERE t1.maksud = ? AND t1.biaya > ? AND x = ?"
