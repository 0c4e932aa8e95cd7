"""Output safety: a command writes into a staging folder of its own and moves it into place only when it succeeds.

What is guaranteed (README, "Reliability"):

- Nothing of the user's is replaced.  ``--force`` replaces only a folder whose
  manifest is crmsim's (a ``crmsim`` version key) and lists every file the
  folder holds, at the size it was written; any other folder is refused.
- One writer per target.  An exclusive lock (``flock``) beside the target
  makes a second command writing the same ``--out`` fail before it does any
  work; staging folders carry the process id and a random part, so two
  commands never share one.
- A failed or interrupted command leaves nothing at the target: its staging
  folder is removed (or, after a SIGKILL, removed by the next command that
  writes the same target).  A new folder appears by one atomic rename; a
  replacement is two renames, and if the process dies between them the
  earlier run is still on disk as ``.NAME.old-*``, never lost.
"""

from __future__ import annotations

import errno
import json
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from sim.errors import UsageError

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; README says so
    fcntl = None

# File-system failures a user can act on (a full disk, a read-only or protected folder): one line, never a traceback.
DISK_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR}


def disk_message(exc: OSError) -> str:
    """One line for a file-system failure: what failed, where, and what to do."""
    where = f" {exc.filename}" if exc.filename else ""
    return f"cannot write{where}: {exc.strerror or exc}; free some space or choose a folder you can write to (--out)"


def foreign(folder: Path, manifest_name: str = "manifest.json") -> str | None:
    """Why `folder` is not verifiably a crmsim output folder (None if it is one: safe to replace)."""
    path = folder / manifest_name
    if not path.is_file():
        return f"no {manifest_name}"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, OSError):
        return f"its {manifest_name} is not crmsim's"
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if "crmsim" not in manifest or not isinstance(files, dict):
        return f"its {manifest_name} is not crmsim's (no crmsim version or file list)"
    present = {p.name for p in folder.iterdir()} - {manifest_name}
    unlisted = sorted(present - set(files))
    if unlisted:
        return f"it holds files its manifest does not list ({', '.join(unlisted[:5])})"
    changed = sorted(name for name in present if size(folder / name) != files[name])
    if changed:
        return f"files were changed after crmsim wrote them ({', '.join(changed[:5])})"
    return None


def size(path: Path) -> int:
    """Bytes of a file, or of every file in a folder (a Parquet table written in parts)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


class TargetLock:
    """An exclusive lock on one output target, held by this process until released; a second holder is refused."""

    def __init__(self, target: Path) -> None:
        self.path = target.parent / f".{target.name}.lock"
        self.fd: int | None = None
        if fcntl is None:
            return
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
                os.close(fd)
                raise UsageError(
                    f"--out {target}: another crmsim command (process {holder}) is writing there; "
                    "wait for it to finish or choose another path"
                ) from None
            # The holder removes the lock file as it releases it; a lock on a removed file locks nothing.
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self.fd = fd

    def release(self) -> None:
        """Remove the lock file, then let go of the lock (in that order, so no one locks a removed file)."""
        if self.fd is None:
            return
        self.path.unlink(missing_ok=True)
        os.close(self.fd)
        self.fd = None


def _alive(pid: int) -> bool:
    """Whether process `pid` exists (one we may not signal exists too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _remove_stale(parent: Path, prefix: str) -> None:
    """Staging and set-aside folders a killed command left beside the target (their process is gone)."""
    for path in parent.glob(f"{prefix}*"):
        pid = path.name[len(prefix) :].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _unique(parent: Path, name: str, kind: str) -> Path:
    return parent / f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def resolve_target(out: Path) -> Path:
    """The folder a path names: a symbolic link to a folder is followed; a dangling one is refused."""
    if out.is_symlink():
        if not out.exists():
            raise UsageError(
                f"--out {out}: a symbolic link to {os.readlink(out)}, which does not exist; "
                "create that folder or choose another path"
            )
        return out.resolve()
    return out


@dataclass
class Staged:
    """A staging folder and where its files go when the command succeeds."""

    staging: Path
    target: Path
    lock: TargetLock
    files: list[str] | None = None  # a set of files beside others (calibrate), not a folder of its own
    manifest_name: str = "manifest.json"
    replaced: list[str] = field(default_factory=list)  # files of an earlier set that this one replaces

    def discard(self) -> None:
        """Remove the staging folder and release the target (the command failed)."""
        shutil.rmtree(self.staging, ignore_errors=True)
        self.lock.release()

    def commit(self, manifest: dict) -> Path:
        """Move the staged files into place with their manifest; returns where they went."""
        try:
            if self.files is None:
                return self._commit_folder(manifest)
            return self._commit_files(manifest)
        finally:
            self.lock.release()

    def _commit_folder(self, manifest: dict) -> Path:
        (self.staging / self.manifest_name).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        target = self.target
        if target.exists():
            why = foreign(target, self.manifest_name) if any(target.iterdir()) else None
            if why:  # the folder changed while the command ran: keep both, replace nothing
                kept = target.parent / f"{target.name}.new-{os.getpid()}"
                self.staging.rename(kept)
                raise UsageError(f"--out {target}: {why} since this command started; its results are in {kept}")
            old = _unique(target.parent, target.name, "old")
            target.rename(old)
            try:
                self.staging.rename(target)
            except OSError:
                old.rename(target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            self.staging.rename(target)
        return target

    def _commit_files(self, manifest: dict) -> Path:
        (self.staging / self.manifest_name).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        parent = self.target.parent
        # Sidecars first, the manifest next, the scenario last: a scenario file on disk means its set is complete.
        names = [n for n in self.files if n != self.target.name] + [self.manifest_name, self.target.name]
        for name in names:
            os.replace(self.staging / name, parent / name)
        for name in self.replaced:
            (parent / name).unlink(missing_ok=True)
        shutil.rmtree(self.staging, ignore_errors=True)
        return self.target


def stage_folder(out: Path, force: bool) -> Staged:
    """Claim `out` for a command's folder: refuse what is not ours to replace, lock it, and stage beside it."""
    out = resolve_target(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(f"--out {out}: directory is not empty; choose another path or pass --force to replace it")
        why = foreign(out)
        if why:  # --force replaces a crmsim run folder, never a folder of yours
            raise UsageError(
                f"--out {out}: not a crmsim output folder ({why}), so --force will not replace it; "
                "choose another path or empty it yourself"
            )
    staging, lock = _claim(out)
    return Staged(staging, out, lock)


def stage_files(out: Path, names: list[str], force: bool, inputs: list[Path]) -> Staged:
    """Claim a set of files beside `out` (its own name last): none is an input, and none exists unless `force`."""
    out = out.absolute()
    parent = out.parent
    targets = [parent / n for n in names]
    manifest_name = f"{out.stem}.manifest.json"
    for source in inputs:
        hit = [t for t in [*targets, parent / manifest_name] if t.exists() and t.resolve() == source.resolve()]
        if hit:
            raise UsageError(f"--out {out}: would write {hit[0].name} over the input {source}; choose another name")
    existing = [t.name for t in targets if t.exists() or t.is_symlink()]
    if existing and not force:
        raise UsageError(
            f"--out {out}: {', '.join(existing)} already exist; choose another name or pass --force to overwrite them"
        )
    earlier = []
    if force and (parent / manifest_name).is_file():
        try:
            listed = json.loads((parent / manifest_name).read_text(encoding="utf-8")).get("files", {})
        except (ValueError, OSError, AttributeError):
            listed = {}
        protected = {source.resolve() for source in inputs}
        earlier = [
            n
            for n in listed
            if n not in names and n != manifest_name and "/" not in n and (parent / n).resolve() not in protected
        ]
    staging, lock = _claim(out)
    return Staged(staging, out, lock, files=list(names), manifest_name=manifest_name, replaced=earlier)


def _claim(out: Path) -> tuple[Path, TargetLock]:
    """Lock `out`, clear what killed writers left beside it, and make this process's staging folder."""
    _mkdir(out.parent)
    lock = TargetLock(out)
    try:
        for kind in ("partial", "old"):
            _remove_stale(out.parent, f".{out.name}.{kind}-")
        staging = _unique(out.parent, out.name, "partial")
        _mkdir(staging)
    except BaseException:
        lock.release()
        raise
    return staging, lock


def _mkdir(path: Path) -> None:
    """Create a folder (and its parents), or say in one line why it cannot be."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"--out: cannot create {path} ({exc.strerror or exc}); choose a folder you can write to"
        ) from None
