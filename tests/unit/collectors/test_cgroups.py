"""Reading CPU quotas and disk I/O limits from the cgroup files of both hierarchy
versions, as hosts show them."""

from __future__ import annotations

from collectors.base import Sample
from collectors.cgroups import (
    V1,
    V2,
    CgroupWatch,
    CpuQuotaWatch,
    IoLimitWatch,
    cgroup_hierarchies,
    io_limits,
    process_cgroup,
    quota_cores,
    throttle_counts,
    with_ancestors,
)
from collectors.procfs import parse_head
from collectors.shell import SAFE_PATH

HYBRID_MOUNTS = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/cpu,cpuacct cgroup rw,nosuid,nodev,noexec,relatime,cpu,cpuacct 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,nosuid,nodev,noexec,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,nosuid,nodev,noexec,relatime 0 0
"""
UNIFIED_MOUNTS = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n"
HYBRID_PROCESS = """\
12:memory:/system.slice/php8.2-fpm.service
4:cpu,cpuacct:/system.slice/php8.2-fpm.service
0::/system.slice/php8.2-fpm.service
"""


def following(watch: CgroupWatch, cgroup: str, group: str) -> str:
    """The watch on a cgroup v2 host, following one cgroup that holds `group`'s processes;
    that cgroup's directory."""
    watch.mounts(UNIFIED_MOUNTS)
    directory = f"/sys/fs/cgroup{cgroup}"
    watch._cgroups = {cgroup: (V2, directory, {group})}
    return directory


def sampled(watch: CgroupWatch, ts: float, files: dict[str, str]) -> dict[str, float]:
    """What one sample of the watch writes, given the files it read."""
    out = Sample()
    watch.sample(files, ts, out)
    return dict(out.metrics)


def test_the_cpu_controller_is_found_where_each_host_kind_mounts_it() -> None:
    assert cgroup_hierarchies(HYBRID_MOUNTS) == {V1: "/sys/fs/cgroup/cpu,cpuacct",
                                                 V2: "/sys/fs/cgroup/unified"}
    assert cgroup_hierarchies(UNIFIED_MOUNTS) == {V2: "/sys/fs/cgroup"}
    # The memory controller's hierarchy holds no CPU quota.
    assert cgroup_hierarchies(HYBRID_MOUNTS.splitlines()[2]) == {}


def test_a_process_cgroup_is_read_from_the_hierarchy_that_holds_the_cpu_controller() -> None:
    hybrid = cgroup_hierarchies(HYBRID_MOUNTS)
    assert process_cgroup(HYBRID_PROCESS, hybrid) == (V1, "/system.slice/php8.2-fpm.service")
    unified = cgroup_hierarchies(UNIFIED_MOUNTS)
    assert process_cgroup("0::/docker/3f2a\n", unified) == (V2, "/docker/3f2a")
    assert process_cgroup("0::/docker/3f2a\n", {}) is None
    # In a container with its own cgroup namespace the process sits at its root.
    assert process_cgroup("0::/\n", unified) == (V2, "/")


def test_a_quota_on_a_parent_slice_counts_for_its_children() -> None:
    assert with_ancestors("/kubepods.slice/pod1.slice/cri-containerd-ab.scope") == [
        "/kubepods.slice/pod1.slice/cri-containerd-ab.scope", "/kubepods.slice/pod1.slice",
        "/kubepods.slice"]
    assert with_ancestors("/") == []


def test_quotas_in_cores_from_either_version() -> None:
    assert quota_cores(V2, {"cpu.max": "50000 100000\n"}) == 0.5
    assert quota_cores(V2, {"cpu.max": "max 100000\n"}) is None
    assert quota_cores(V1, {"cpu.cfs_quota_us": "150000\n", "cpu.cfs_period_us": "100000\n"}
                       ) == 1.5
    assert quota_cores(V1, {"cpu.cfs_quota_us": "-1\n", "cpu.cfs_period_us": "100000\n"}
                       ) is None
    assert quota_cores(V2, {}) is None  # the cgroup is gone


def test_throttled_periods_from_either_version() -> None:
    v2 = ("usage_usec 912\nuser_usec 800\nsystem_usec 112\nnr_periods 40\nnr_throttled 12\n"
          "throttled_usec 5000\nnr_bursts 0\nburst_usec 0\n")
    v1 = "nr_periods 40\nnr_throttled 12\nthrottled_time 5000000\n"
    assert throttle_counts(v2) == throttle_counts(v1) == (40.0, 12.0)
    assert throttle_counts("usage_usec 5\n") is None  # the root: no quota, no counts


def test_the_throttled_share_is_of_the_periods_since_the_last_sample() -> None:
    watch = CpuQuotaWatch()
    directory = following(watch, "/system.slice/php8.2-fpm.service", "php-fpm")
    assert watch.paths() == (f"{directory}/cpu.max", f"{directory}/cpu.stat")

    def sample(periods: int, throttled: int, quota: str = "50000 100000") -> dict[str, float]:
        return sampled(watch, 0.0, {
            f"{directory}/cpu.max": quota,
            f"{directory}/cpu.stat": f"nr_periods {periods}\nnr_throttled {throttled}\n"})

    label = "php-fpm:/system.slice/php8.2-fpm.service"
    assert sample(100, 10) == {f"cgroup.quota_cores{{{label}}}": 0.5}
    assert sample(110, 16) == {f"cgroup.quota_cores{{{label}}}": 0.5,
                               f"cgroup.throttled{{{label}}}": 0.6}
    assert sample(110, 16)[f"cgroup.throttled{{{label}}}"] == 0.0  # idle: not throttled
    assert sample(120, 20, quota="max 100000") == {}  # the quota lifted


def test_cgroup_files_pass_the_remote_reading_and_nothing_the_shell_would_expand() -> None:
    good = "/sys/fs/cgroup/cpu,cpuacct/system.slice/postgresql@15-main.service/cpu.stat"
    assert SAFE_PATH.match(good)
    for bad in ("/sys/fs/cgroup/a b/cpu.stat", "/sys/fs/cgroup/x$(id)/cpu.stat",
                "/sys/fs/cgroup/dev-disk-by\\x2duuid.swap/cpu.stat", "/sys/kernel/cpu.stat",
                "/etc/shadow"):
        assert not SAFE_PATH.match(bad), bad
    assert parse_head(f"==> {good} <==\nnr_periods 4\n==> /proc/loadavg <==\n0.1\n") == {
        good: "nr_periods 4\n", "/proc/loadavg": "0.1\n"}


def test_no_cpu_hierarchy_means_nothing_is_read() -> None:
    watch = CpuQuotaWatch()
    watch.mounts("")
    watch.learn({"/proc/1/cgroup": "4:cpu:/limited\n"}, {"app": [1]}, 0.0)
    assert watch.paths() == ()


def test_io_limits_and_what_was_done_against_them_from_either_version() -> None:
    v2 = {"io.max": "254:0 rbps=max wbps=1048576 riops=max wiops=8\n",
          "io.stat": "254:0 rbytes=4096 wbytes=65536 rios=1 wios=40 dbytes=0 dios=0\n"
                     "7:0 rbytes=0 wbytes=0 rios=0 wios=0 dbytes=0 dios=0\n"}
    assert io_limits(V2, v2) == {("254:0", "write_iops"): (8.0, 40.0),
                                 ("254:0", "write_bps"): (1048576.0, 65536.0)}
    v1 = {"blkio.throttle.write_iops_device": "254:0 8\n",
          "blkio.throttle.read_iops_device": "",
          "blkio.throttle.io_serviced": "254:0 Read 3\n254:0 Write 40\n254:0 Sync 43\n"
                                        "254:0 Total 43\nTotal 43\n"}
    assert io_limits(V1, v1) == {("254:0", "write_iops"): (8.0, 40.0)}
    # A limit on a device the cgroup has not used yet: v2's io.stat leaves the device out
    # (nothing done yet), v1 lists no counter to compare.
    assert io_limits(V2, {**v2, "io.stat": ""}) == {("254:0", "write_iops"): (8.0, 0.0),
                                                    ("254:0", "write_bps"): (1048576.0, 0.0)}
    assert io_limits(V1, {**v1, "blkio.throttle.io_serviced": "Total 0\n"}) == {}
    assert io_limits(V2, {"io.max": "", "io.stat": v2["io.stat"]}) == {}


def test_the_share_of_an_io_limit_used_is_of_its_rate_since_the_last_sample() -> None:
    watch = IoLimitWatch()
    directory = following(watch, "/system.slice/mariadb.service", "mysql")
    assert watch.paths() == (f"{directory}/io.max", f"{directory}/io.stat")

    def sample(ts: float, writes: int, limit: str = "wiops=8") -> dict[str, float]:
        return sampled(watch, ts, {f"{directory}/io.max": f"254:0 {limit}\n",
                                   f"{directory}/io.stat": f"254:0 rios=0 wios={writes}\n"})

    label = "mysql:/system.slice/mariadb.service:254:0:write_iops"
    assert sample(100.0, 40) == {f"cgroup.io_limit{{{label}}}": 8.0}
    assert sample(102.0, 56) == {f"cgroup.io_limit{{{label}}}": 8.0,
                                 f"cgroup.io_limit_used{{{label}}}": 1.0}
    assert sample(104.0, 60)[f"cgroup.io_limit_used{{{label}}}"] == 0.25
    assert sample(106.0, 70, limit="wiops=max") == {}  # the limit lifted


def test_a_v1_host_keeps_io_limits_under_the_blkio_controller() -> None:
    mounts = "cgroup /sys/fs/cgroup/blkio cgroup rw,relatime,blkio 0 0\n"
    assert cgroup_hierarchies(mounts, "blkio") == {V1: "/sys/fs/cgroup/blkio"}
    assert cgroup_hierarchies(mounts) == {}
    assert process_cgroup("7:blkio:/esppd\n4:cpu,cpuacct:/other\n",
                          cgroup_hierarchies(mounts, "blkio"), "blkio") == (V1, "/esppd")


def test_a_v1_io_limit_is_read_on_the_processes_own_cgroup_only() -> None:
    """v1's blk-throttle is flat: a parent's limit holds none of its children's I/O, and
    its counters count none of it. A v2 limit holds the subtree, so ancestors count."""
    for version, mounts, expected in (
            (V1, "cgroup /sys/fs/cgroup/blkio cgroup rw,blkio 0 0\n",
             ["/system.slice/mariadb.service"]),
            (V2, "cgroup2 /sys/fs/cgroup cgroup2 rw 0 0\n",
             ["/system.slice", "/system.slice/x"])):
        watch = IoLimitWatch()
        watch.mounts(mounts)
        watch.learn({"/proc/42/cgroup": "7:blkio:/system.slice/mariadb.service\n"
                                        "0::/system.slice/x\n"}, {"mysql": [42]}, 0.0)
        assert sorted(watch._cgroups) == expected, version
