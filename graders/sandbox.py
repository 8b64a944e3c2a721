"""Containing learner code with the Linux kernel's own namespaces (no bubblewrap needed).

Two levels, both built with plain system calls through ctypes:

- A *box*, one per variant of the app: a mount namespace (and, for a normal user, a user
  namespace) whose file system holds only what Python needs, read-only: the system's
  libraries, the Python installation and its packages, the grading engine's code without its
  data, and the app package, whose files there are the variant's own. Nothing else of the
  machine is in it: not the course directory, the grading data (graders/exercises, private
  defects), other variants, home directories or nbgrader's files.
- A *job*, one per run of a suite: fresh PID, mount, network, IPC, UTS and cgroup namespaces
  inside a box, with a private /tmp, /dev/shm and /proc, loopback only, and no process but
  its own. Killing the job's first process (its PID 1) kills every process it ever started.

The learner's code then runs without privileges: as root, under a user id of its own for each
job; as a normal user, as the user namespace's root without any capability.

`mode()` says whether this machine can do all that ("namespaces") or not ("none": macOS,
Windows, containers that forbid namespaces, or GRADERS_SANDBOX=none).
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import platform
import socket
import struct
import sys
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
JOB_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 32, 4096, 8192, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_CAPBSET_DROP = 1, 4, 24
PR_SET_SECUREBITS, PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT = 28, 38, 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
SECURE_ALL_BITS = 0x3F  # noroot, no-setuid-fixup, keep-caps: each with its lock
PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

SYSTEM_DIRS = ("usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
DEVICES = ("null", "zero", "full", "random", "urandom")
# Machine-wide counters that would tell a job how busy the machine is: blanked in its /proc.
MASKED_PROC = ("loadavg", "stat", "uptime", "pressure", "schedstat", "vmstat", "interrupts",
               "softirqs", "diskstats", "sched_debug")
JOB_HOSTNAME = b"grader"
JOB_TMP_STAGING = "/.tmp"  # where a job builds its /tmp before moving it into place

_libc = ctypes.CDLL(None, use_errno=True)


class SandboxError(OSError):
    pass


def _check(result: int, what: str) -> int:
    if result < 0:
        number = ctypes.get_errno()
        raise SandboxError(number, f"{what}: {os.strerror(number)}")
    return result


def unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def mount(source: str | None, target: str, fstype: str | None, flags: int = 0, data: str | None = None) -> None:
    enc = lambda s: None if s is None else os.fsencode(s)  # noqa: E731
    _check(_libc.mount(enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data)),
           f"mount {target}")


def prctl(option: int, arg: int = 0) -> int:
    return _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def die_with_parent() -> None:
    """This process is killed when the thread that started it ends."""
    prctl(PR_SET_PDEATHSIG, 9)


# --- what this machine can do -------------------------------------------------------------

_mode: str | None = None


def mode() -> str:
    """"namespaces" where learner code can be contained here, else "none". GRADERS_SANDBOX
    set to "none" forces the unprotected path; set to "namespaces", it is an error if this
    machine cannot contain learner code."""
    global _mode
    if _mode is None:
        wanted = os.environ.get("GRADERS_SANDBOX", "auto").strip().lower() or "auto"
        if wanted not in ("auto", "namespaces", "none"):
            raise SandboxError(errno.EINVAL, f"GRADERS_SANDBOX must be auto, namespaces or none, not {wanted!r}")
        _mode = "none" if wanted == "none" else ("namespaces" if _probe() else "none")
        if wanted == "namespaces" and _mode == "none":
            raise SandboxError(errno.EPERM, "GRADERS_SANDBOX=namespaces, but this machine does not let "
                                            "the grader create Linux namespaces")
    return _mode


def separate_users() -> bool:
    """Without namespaces, whether jobs can still run as users of their own: as root on
    Linux, where Python and the course can be read by any user (a Python installed under
    /root, say, cannot: a job would not find its own standard library)."""
    if not sys.platform.startswith("linux") or os.getuid() != 0:
        return False
    from graders.exercises import APP_DIR

    for path in {Path(sys.base_prefix), Path(sys.prefix), APP_DIR}:
        for folder in [path.resolve(), *path.resolve().parents]:
            if not folder.stat().st_mode & 0o001:
                return False
    return True


def describe(current: str | None = None) -> str:
    """How learner code is contained, for reports and the README's promises."""
    if (current or mode()) == "namespaces":
        return ("Linux namespaces: a read-only file system with only the app and Python, a "
                "private /tmp, no network, no other process in sight, no privileges")
    if separate_users():
        return ("users of their own: this machine cannot create Linux namespaces, so a suite's "
                "tests run as a user of their own, with resource limits, and can read what every "
                "user may read")
    return ("none: this machine cannot create Linux namespaces, so a suite's tests run with "
            "resource limits only and can reach your files and processes")


def _probe() -> bool:
    """Try, in a throwaway child, what a job needs: a box, then a job inside it with its own
    /proc and /tmp."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _enter_namespaces_for_box()
            mount(None, "/", None, MS_REC | MS_PRIVATE)
            unshare(JOB_NAMESPACES)
            inner = os.fork()
            if inner == 0:
                try:
                    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
                    mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "size=1m")
                    os._exit(0)
                finally:
                    os._exit(1)
            code = 0 if os.waitpid(inner, 0)[1] == 0 else 1
        except BaseException:  # noqa: BLE001 - any failure means "no"
            code = 1
        finally:
            os._exit(code)
    return os.waitpid(pid, 0)[1] == 0


def _enter_namespaces_for_box() -> None:
    uid, gid = os.getuid(), os.getgid()
    if uid == 0:
        unshare(CLONE_NEWNS)
        return
    unshare(CLONE_NEWNS | CLONE_NEWUSER)
    Path("/proc/self/setgroups").write_text("deny")
    Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
    Path("/proc/self/gid_map").write_text(f"0 {gid} 1")


# --- the box ------------------------------------------------------------------------------

def enter_box(staging: Path, app_dir: Path, variant: Path, hidden: list[Path], keep: list[Path]) -> list[str]:
    """Make this process's file system the box (see the module's docstring). `staging` is an
    empty directory to build it in; `app_dir` is where the app package lives, and the
    directory `variant` (the variant's copy of the package) takes its place; `hidden` are paths that must not be seen
    (the grading data) even where they lie inside a kept path; `keep` are the directories
    Python needs (its prefixes, sys.path). Returns the paths of the box that lie under /tmp
    (a course or a Python that lives there, as in a CI clone): a private /tmp must keep them."""
    _enter_namespaces_for_box()
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    root = str(staging)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=4m")
    for name in SYSTEM_DIRS:
        source = Path("/", name)
        if source.is_symlink():
            os.symlink(os.readlink(source), f"{root}/{name}")
        elif source.is_dir():
            _bind(str(source), root)
    bound: list[Path] = []
    for path in sorted({p for p in keep if p.is_dir() and p != Path("/tmp")}, key=lambda p: len(p.parts)):
        if not any(path.is_relative_to(b) for b in bound) and not path.is_relative_to(Path("/usr")):
            _bind(str(path), root)
            bound.append(path)
    # The app's package: the variant's own files, under the real path.
    _bind(str(variant), root, at=str(app_dir))
    bound.append(app_dir)
    for path in hidden:
        if Path(root, *path.parts[1:]).is_dir():
            mount("tmpfs", f"{root}{path}", "tmpfs", MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
    _make_dev(root)
    for name in ("tmp", "proc", JOB_TMP_STAGING[1:]):
        os.makedirs(f"{root}/{name}", exist_ok=True)
    # A fully visible /proc must be in the box for a job to mount its own (the kernel's rule
    # for user namespaces); every job covers it with its own straight away.
    mount("/proc", f"{root}/proc", None, MS_BIND | MS_REC)
    _read_only_below(root)
    os.chdir(root)
    _check(_libc.syscall(PIVOT_ROOT.get(platform.machine(), -1), b".", b"."), "pivot_root")
    _check(_libc.umount2(b".", MNT_DETACH), "umount old root")
    os.chdir("/")
    under_tmp = sorted(str(p) for p in bound if p.is_relative_to(Path("/tmp")))
    return [p for p in under_tmp if not any(p.startswith(q + "/") for q in under_tmp)]


def _bind(source: str, root: str, at: str | None = None) -> None:
    target = f"{root}{at or source}"
    if os.path.isdir(source):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        Path(target).touch()
    mount(source, target, None, MS_BIND | MS_REC)


def _make_dev(root: str) -> None:
    dev = f"{root}/dev"
    os.mkdir(dev)
    mount("tmpfs", dev, "tmpfs", MS_NOSUID, "mode=0755,size=64k")
    for name in DEVICES:
        _bind(f"/dev/{name}", root)
    os.mkdir(f"{dev}/shm")
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{dev}/{name}")


def _read_only_below(root: str) -> None:
    """Remount every mount of the box read-only, keeping the flags the kernel locked on it."""
    options = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        fields = line.split()
        target = fields[4].encode().decode("unicode_escape")
        if target == root or target.startswith(root + "/"):
            flags = sum(options.get(o, 0) for o in fields[5].split(","))
            mounts.append((target, flags))
    for target, flags in mounts:
        if target == f"{root}/proc" or target.startswith(f"{root}/proc/"):
            continue  # covered by each job's own /proc
        try:
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except SandboxError:
            mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags | MS_NOSUID | MS_NODEV)


# --- the job ------------------------------------------------------------------------------

def enter_job() -> None:
    """New namespaces for a job (in the box's process, before it forks the job's PID 1)."""
    unshare(JOB_NAMESPACES)


def init_job(tmp_bytes: int, kept: list[str]) -> None:
    """In the job's PID 1: its own /proc, /tmp and /dev/shm, a hostname, loopback up.
    `kept` are the box's paths under /tmp (see enter_box)."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    private_tmp(tmp_bytes, kept)
    mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=16m,mode=1777")
    blank = "/tmp/.blank"
    with open(blank, "w"):
        pass
    for name in MASKED_PROC:
        path = f"/proc/{name}"
        if os.path.isfile(path):
            mount(blank, path, None, MS_BIND)
            mount(None, path, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
        elif os.path.isdir(path):
            mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k")
    os.unlink(blank)
    _check(_libc.sethostname(JOB_HOSTNAME, len(JOB_HOSTNAME)), "sethostname")
    _loopback_up()


def private_tmp(size: int, kept: list[str]) -> None:
    """A fresh /tmp, in which the box's paths under /tmp stay where they are, read-only."""
    new = JOB_TMP_STAGING
    mount("tmpfs", new, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size},mode=1777")
    for path in kept:
        target = new + path[len("/tmp"):]
        os.makedirs(target, exist_ok=True)
        mount(path, target, None, MS_BIND | MS_REC)
        mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)
    mount(new, "/tmp", None, MS_MOVE)


def _loopback_up() -> None:
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(sock, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(sock, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_privileges(uid: int | None) -> None:
    """No capabilities, ever again (not even through a set-user-id program); as root, also
    another user: `uid`, one no other job uses, so that a job's process limit is its own."""
    for capability in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, ctypes.c_ulong(capability), 0, 0, 0) < 0:
            if ctypes.get_errno() == errno.EINVAL:
                break  # past the last capability this kernel knows
            raise SandboxError(ctypes.get_errno(), "dropping capabilities")
    prctl(PR_SET_SECUREBITS, SECURE_ALL_BITS)
    if uid is not None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")
    _libc.prctl(PR_CAP_AMBIENT, ctypes.c_ulong(PR_CAP_AMBIENT_CLEAR_ALL), 0, 0, 0)
    prctl(PR_SET_NO_NEW_PRIVS, 1)
