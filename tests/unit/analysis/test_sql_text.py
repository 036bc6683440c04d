from __future__ import annotations

from analysis.sqltext import (
    aggregates,
    aliases,
    index_columns,
    order_columns,
    shorten,
    tables,
    where_columns,
)


def test_index_columns_equality_then_range_then_order() -> None:
    query = ('select * from "sppd" where "user_id" = $1 and "tanggal_berangkat" >= $2 '
             'and "status" in ($3, $4) order by "created_at" desc limit $5')
    assert tables(query) == ["sppd"]
    assert index_columns(query, "sppd") == ["user_id", "status", "tanggal_berangkat",
                                            "created_at"]


def test_joins_keep_only_the_columns_of_the_table() -> None:
    query = ('select u.nama, sum(s.biaya) from public.sppd s join unit_kerja u on u.id = '
             's.unit_kerja_id where s.tanggal_berangkat between $1 and $2 and u.aktif = $3 '
             'group by u.nama')
    assert tables(query) == ["sppd", "unit_kerja"]
    assert [c for _, c, _ in where_columns(query)] == ["tanggal_berangkat", "aktif"]
    assert index_columns(query, "sppd") == ["tanggal_berangkat"]  # `s` is sppd's alias
    assert index_columns(query, "unit_kerja") == ["aktif"]
    assert order_columns(query) == []


def test_aliases_resolve_in_where_and_order_by() -> None:
    query = ("SELECT a.action, u.name FROM approval_logs a JOIN users AS u ON u.id = a.user_id "
             "WHERE a.sppd_id = $1 ORDER BY a.created_at")
    assert aliases(query) == {"approval_logs": "approval_logs", "a": "approval_logs",
                              "users": "users", "u": "users"}
    assert index_columns(query, "approval_logs") == ["sppd_id", "created_at"]
    assert index_columns(query, "users") == []


def test_shorten_collapses_whitespace_and_truncates() -> None:
    assert shorten("select\n   1") == "select 1"
    long = shorten("select " + "x, " * 100, limit=40)
    assert len(long) == 40 and long.endswith("\u2026")


def test_extract_from_is_not_a_table_and_aggregates_are_recognised() -> None:
    query = ('select extract($3 FROM tanggal_berangkat)::int AS tahun, status, count(*) AS '
             'jumlah FROM "sppd" WHERE "tanggal_berangkat" >= $1 AND "tanggal_berangkat" < $2 '
             'GROUP BY 1, 2')
    assert tables(query) == ["sppd"]
    assert index_columns(query, "sppd") == ["tanggal_berangkat"]
    assert aggregates(query)
    assert not aggregates('select * from "sppd" where "id" = $1')


def test_subqueries_and_mysql_digests() -> None:
    sub = "SELECT id FROM users WHERE id IN (SELECT user_id FROM sppd WHERE status = $1)"
    assert tables(sub) == ["users", "sppd"]
    assert ("", "status", "=") not in where_columns(sub)
    assert (None, "status", "=") in where_columns(sub)
    digest = ("SELECT `s` . * FROM `sppd` `s` WHERE `s` . `user_id` = ? AND `status` IN (...) "
              "ORDER BY `tanggal_berangkat` DESC LIMIT ?")
    assert tables(digest) == ["sppd"]
    assert index_columns(digest, "sppd") == ["user_id", "status", "tanggal_berangkat"]


def test_text_that_does_not_parse_yields_nothing() -> None:
    cut = "SELECT `a` , `b` FROM `sppd` WHERE `user_id` = ? AND (`status` = ? OR ..."
    assert tables("this is not sql at all (") == []
    assert where_columns("this is not sql at all (") == []
    assert isinstance(tables(cut), list)
