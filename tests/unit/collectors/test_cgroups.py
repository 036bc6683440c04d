"""Reading CPU quotas from the cgroup files of both hierarchy versions, as hosts show them."""

from __future__ import annotations

from collectors.base import Sample
from collectors.cgroups import (
    V1,
    V2,
    CgroupWatch,
    cpu_hierarchies,
    process_cgroup,
    quota_cores,
    throttle_counts,
    with_ancestors,
)
from collectors.procfs import parse_head
from collectors.shell import SAFE_PATH, LocalShell

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


def test_the_cpu_controller_is_found_where_each_host_kind_mounts_it() -> None:
    assert cpu_hierarchies(HYBRID_MOUNTS) == {V1: "/sys/fs/cgroup/cpu,cpuacct",
                                              V2: "/sys/fs/cgroup/unified"}
    assert cpu_hierarchies(UNIFIED_MOUNTS) == {V2: "/sys/fs/cgroup"}
    # The memory controller's hierarchy holds no CPU quota.
    assert cpu_hierarchies(HYBRID_MOUNTS.splitlines()[2]) == {}


def test_a_process_cgroup_is_read_from_the_hierarchy_that_holds_the_cpu_controller() -> None:
    hybrid = cpu_hierarchies(HYBRID_MOUNTS)
    assert process_cgroup(HYBRID_PROCESS, hybrid) == (V1, "/system.slice/php8.2-fpm.service")
    unified = cpu_hierarchies(UNIFIED_MOUNTS)
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
    texts = {"/a/cpu.max": "50000 100000\n", "/b/cpu.max": "max 100000\n",
             "/c/cpu.cfs_quota_us": "150000\n", "/c/cpu.cfs_period_us": "100000\n",
             "/d/cpu.cfs_quota_us": "-1\n", "/d/cpu.cfs_period_us": "100000\n"}
    assert quota_cores(V2, texts, "/a") == 0.5
    assert quota_cores(V2, texts, "/b") is None
    assert quota_cores(V1, texts, "/c") == 1.5
    assert quota_cores(V1, texts, "/d") is None
    assert quota_cores(V2, texts, "/gone") is None


def test_throttled_periods_from_either_version() -> None:
    v2 = ("usage_usec 912\nuser_usec 800\nsystem_usec 112\nnr_periods 40\nnr_throttled 12\n"
          "throttled_usec 5000\nnr_bursts 0\nburst_usec 0\n")
    v1 = "nr_periods 40\nnr_throttled 12\nthrottled_time 5000000\n"
    assert throttle_counts(v2) == throttle_counts(v1) == (40.0, 12.0)
    assert throttle_counts("usage_usec 5\n") is None  # the root: no quota, no counts


def test_the_throttled_share_is_of_the_periods_since_the_last_sample() -> None:
    watch = CgroupWatch()
    watch.mounts(UNIFIED_MOUNTS)
    directory = "/sys/fs/cgroup/system.slice/php8.2-fpm.service"
    watch._cgroups = {"/system.slice/php8.2-fpm.service": (V2, directory, {"php-fpm"})}
    assert watch.paths() == (f"{directory}/cpu.max", f"{directory}/cpu.stat")

    def sample(periods: int, throttled: int, quota: str = "50000 100000") -> dict[str, float]:
        out = Sample()
        watch.sample({f"{directory}/cpu.max": quota,
                      f"{directory}/cpu.stat": f"nr_periods {periods}\nnr_throttled {throttled}\n"},
                     out)
        return dict(out.metrics)

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
    watch = CgroupWatch()
    watch.mounts("")
    watch.learn(LocalShell(), {"app": [1]}, 0.0)
    assert watch.paths() == ()
