"""python3-asyncssh's SFTP client against one sftpd front door.

Run by clients_matrix_test.sh (Debian's /usr/bin/python3): it logs in with a
key, works in REMOTE (a directory of the user's, relative to the start
directory) and checks each result on disk in DISK, the same directory seen
from the server's filesystem, against the local sources. It prints one line
per check, "ok DESC" or "FAIL DESC<tab>DETAIL", and exits 0 when it could run
them all (each check's outcome is in its line).

Usage: asyncssh_client.py PORT KEY KNOWN_HOSTS USER REMOTE DISK TREE DOWN
  TREE  a local tree to upload (files with their own modes and mtimes)
  DOWN  an empty local directory for downloads
"""

import asyncio
import hashlib
import os
import sys

import asyncssh


def report(ok, desc, detail=""):
    print(f"ok {desc}" if ok else f"FAIL {desc}\t{detail}", flush=True)


def check_eq(desc, expected, actual):
    report(expected == actual, desc, f"expected {expected!r}, actual {actual!r}")


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def tree(root, attrs):
    """Each entry's relative path and type, with each file's size and
    SHA-256, and (attrs) its mode and whole-second mtime."""
    out = []
    for d, dirs, files in os.walk(root):
        for name in sorted(dirs):
            out.append((os.path.relpath(os.path.join(d, name), root), "d"))
        for name in sorted(files):
            p = os.path.join(d, name)
            st = os.lstat(p)
            row = (os.path.relpath(p, root), "f", st.st_size, sha(p))
            if attrs:
                row += (oct(st.st_mode & 0o7777), int(st.st_mtime))
            out.append(row)
    return sorted(out)


async def step(desc, coro):
    """Runs one client call; a raised error is a failed check."""
    try:
        return True, await coro
    except (OSError, asyncssh.Error) as e:
        report(False, desc, f"{type(e).__name__}: {e}")
        return False, None


async def main():
    port, key, known_hosts, user, remote, disk, local_tree, down = sys.argv[1:9]
    async with asyncssh.connect(
            "127.0.0.1", port=int(port), username=user, client_keys=[key],
            known_hosts=known_hosts, agent_path=None, config=None,
            connect_timeout=10) as conn:
        sftp = await conn.start_sftp_client()
        r = remote + "/"

        ok, _ = await step("makedirs", sftp.makedirs(r + "a/b/c"))
        if ok:
            report(os.path.isdir(os.path.join(disk, "a/b/c")), "makedirs: a/b/c on disk")

        ok, _ = await step("put recurse=True preserve=True",
                           sftp.put(local_tree, r + "tree", recurse=True, preserve=True))
        if ok:
            check_eq("put recurse: the tree on disk, modes and mtimes",
                     tree(local_tree, True), tree(os.path.join(disk, "tree"), True))

        ok, _ = await step("get recurse=True preserve=True",
                           sftp.get(r + "tree", os.path.join(down, "tree"),
                                    recurse=True, preserve=True))
        if ok:
            check_eq("get recurse: the tree downloaded, modes and mtimes",
                     tree(local_tree, True), tree(os.path.join(down, "tree"), True))

        ok, names = await step("glob", sftp.glob(r + "tree/sub/*"))
        if ok:
            check_eq("glob tree/sub/*: the names on disk",
                     sorted(os.listdir(os.path.join(disk, "tree/sub"))),
                     sorted(os.path.basename(n) for n in names))

        src = os.path.join(local_tree, "with space.bin")
        copied = os.path.join(disk, "copied.bin")
        ok, _ = await step("copy", sftp.copy(r + "tree/with space.bin", r + "copied.bin"))
        if ok:
            check_eq("copy: the copy on disk", sha(src), sha(copied))

        ok, vfs = await step("statvfs", sftp.statvfs(remote))
        if ok:
            st = os.statvfs(disk)
            check_eq("statvfs: block size, blocks, name length of the export's file system",
                     (st.f_bsize, st.f_blocks, st.f_namemax),
                     (vfs.bsize, vfs.blocks, vfs.namemax))

        # The link is REMOTE/link, pointing at "copied.bin" (relative).
        ok, _ = await step("symlink", sftp.symlink("copied.bin", r + "link"))
        on_disk = os.path.join(disk, "link")
        target = os.readlink(on_disk) if os.path.islink(on_disk) else None
        check_eq("symlink: on disk, the link is at the link path and points at the target",
                 ("copied.bin", False), (target, os.path.islink(copied)))
        if ok:
            ok, back = await step("readlink", sftp.readlink(r + "link"))
            if ok:
                check_eq("readlink: the target", "copied.bin", back)

        ok, _ = await step("link (hard)", sftp.link(r + "copied.bin", r + "hard"))
        if ok:
            a, b = os.stat(copied), os.stat(os.path.join(disk, "hard"))
            check_eq("link: one inode, two links, on disk",
                     (a.st_ino, 2), (b.st_ino, b.st_nlink))

        with open(src, "rb") as f:
            head = f.read(1000)
        ok, _ = await step("truncate", sftp.truncate(r + "copied.bin", 1000))
        if ok:
            with open(copied, "rb") as f:
                check_eq("truncate: size and content on disk", head, f.read())

        async def append():
            async with sftp.open(r + "copied.bin", "ab") as f:
                await f.write(b"appended")
        ok, _ = await step("open 'ab' and write", append())
        if ok:
            with open(copied, "rb") as f:
                check_eq("append: written at the end, on disk", head + b"appended", f.read())

        ok, _ = await step("utime", sftp.utime(r + "copied.bin", (1500000000, 1400000000)))
        if ok:
            st = os.stat(copied)
            check_eq("utime: atime and mtime on disk", (1500000000, 1400000000),
                     (int(st.st_atime), int(st.st_mtime)))

        ok, _ = await step("chmod", sftp.chmod(r + "copied.bin", 0o604))
        if ok:
            check_eq("chmod: mode on disk", oct(0o604), oct(os.stat(copied).st_mode & 0o7777))

        ok, _ = await step("rmtree", sftp.rmtree(r + "a"))
        if ok:
            report(not os.path.lexists(os.path.join(disk, "a")), "rmtree: a is gone on disk")

        # A second SFTP channel on the same connection, used while the
        # first is open.
        ok, sftp2 = await step("a second SFTP client on the connection",
                               conn.start_sftp_client())
        if ok:
            async def put_from(client, name):
                async with client.open(r + name, "wb") as f:
                    await f.write(name.encode() * 1000)
            ok, _ = await step("both clients write at once", asyncio.gather(
                put_from(sftp, "first.txt"), put_from(sftp2, "second.txt")))
            if ok:
                for name in ("first.txt", "second.txt"):
                    with open(os.path.join(disk, name), "rb") as f:
                        check_eq(f"two clients: {name} on disk", name.encode() * 1000, f.read())
            sftp2.exit()
        sftp.exit()


asyncio.run(asyncio.wait_for(main(), 120))
