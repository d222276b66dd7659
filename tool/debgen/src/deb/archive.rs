//! Byte-level writers: GNU tar members as dpkg-deb writes them (`./` names, root:root) and
//! the outer ar archive.
//!
//! Headers are filled in directly so names keep their `./` prefix and trailing `/`; names or
//! link targets longer than 100 bytes get a GNU `././@LongLink` record, as GNU tar does.

use std::io::{self, Read, Write};

use md5::Md5;
use sha2::{Digest as _, Sha256};

const BLOCK: usize = 512;
/// GNU tar's default record: 20 blocks. The archive is padded to a whole record, as dpkg-deb's is.
const RECORD: u64 = 20 * BLOCK as u64;

/// A tar stream written entry by entry.
pub(crate) struct TarWriter<W: Write> {
    out: W,
    mtime: u64,
    written: u64,
}

impl<W: Write> TarWriter<W> {
    /// Every entry written gets `mtime` (already clamped by the caller).
    pub(crate) fn new(out: W, mtime: u64) -> Self {
        TarWriter { out, mtime, written: 0 }
    }

    pub(crate) fn set_mtime(&mut self, mtime: u64) {
        self.mtime = mtime;
    }

    pub(crate) fn dir(&mut self, name: &str, mode: u32) -> io::Result<()> {
        self.header(name, tar::EntryType::Directory, mode, 0, None)
    }

    /// Another name of a file written before as `target` (a tar name, `./…`): no data.
    pub(crate) fn hard_link(&mut self, name: &str, mode: u32, target: &str) -> io::Result<()> {
        self.header(name, tar::EntryType::Link, mode, 0, Some(target))
    }

    pub(crate) fn symlink(&mut self, name: &str, target: &str) -> io::Result<()> {
        self.header(name, tar::EntryType::Symlink, 0o777, 0, Some(target))
    }

    /// A regular file from memory.
    pub(crate) fn file_bytes(&mut self, name: &str, mode: u32, data: &[u8]) -> io::Result<()> {
        self.header(name, tar::EntryType::Regular, mode, data.len() as u64, None)?;
        self.write(data)?;
        self.pad(data.len() as u64)
    }

    /// A regular file of exactly `size` bytes read from `data`; returns its MD5 (hex).
    /// Fails when `data` ends early (the file shrank while being archived).
    pub(crate) fn file_reader(
        &mut self,
        name: &str,
        mode: u32,
        size: u64,
        data: impl Read,
    ) -> io::Result<String> {
        self.header(name, tar::EntryType::Regular, mode, size, None)?;
        let mut md5 = Md5::new();
        let mut limited = data.take(size);
        let mut buf = vec![0u8; 128 * 1024];
        let mut copied = 0u64;
        loop {
            let n = match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            md5.update(&buf[..n]);
            self.write(&buf[..n])?;
            copied += n as u64;
        }
        if copied != size {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "`{name}` changed while being archived: {copied} bytes read, {size} expected"
                ),
            ));
        }
        self.pad(size)?;
        Ok(hex::encode(md5.finalize()))
    }

    /// Writes the two zero blocks that end a tar archive, pads to a whole record and
    /// returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        self.write(&[0u8; 2 * BLOCK])?;
        while !self.written.is_multiple_of(RECORD) {
            self.write(&[0u8; BLOCK])?;
        }
        Ok(self.out)
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    fn header(
        &mut self,
        name: &str,
        entry_type: tar::EntryType,
        mode: u32,
        size: u64,
        link: Option<&str>,
    ) -> io::Result<()> {
        if name.len() > 100 {
            self.long_record(tar::EntryType::GNULongName, name)?;
        }
        if let Some(link) = link.filter(|l| l.len() > 100) {
            self.long_record(tar::EntryType::GNULongLink, link)?;
        }
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry_type);
        header.set_mode(mode);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(size);
        header.set_mtime(self.mtime);
        header.set_username("root")?;
        header.set_groupname("root")?;
        let gnu = header.as_gnu_mut().expect("new_gnu makes a GNU header");
        copy_truncated(&mut gnu.name, name);
        if let Some(link) = link {
            copy_truncated(&mut gnu.linkname, link);
        }
        self.write_header(&mut header)
    }

    fn long_record(&mut self, entry_type: tar::EntryType, value: &str) -> io::Result<()> {
        let mut data = value.as_bytes().to_vec();
        data.push(0);
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(entry_type);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_size(data.len() as u64);
        header.set_mtime(0);
        header.set_username("root")?;
        header.set_groupname("root")?;
        let gnu = header.as_gnu_mut().expect("new_gnu makes a GNU header");
        copy_truncated(&mut gnu.name, "././@LongLink");
        self.write_header(&mut header)?;
        self.write(&data)?;
        self.pad(data.len() as u64)
    }

    /// Writes the header with its checksum in GNU tar's layout: six octal digits, NUL, space.
    fn write_header(&mut self, header: &mut tar::Header) -> io::Result<()> {
        let gnu = header.as_gnu_mut().expect("new_gnu makes a GNU header");
        gnu.cksum = [b' '; 8];
        let sum: u32 = header.as_bytes().iter().map(|&b| u32::from(b)).sum();
        let gnu = header.as_gnu_mut().expect("new_gnu makes a GNU header");
        gnu.cksum.copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        let bytes = *header.as_bytes();
        self.write(&bytes)
    }

    fn pad(&mut self, size: u64) -> io::Result<()> {
        let rest = (size % BLOCK as u64) as usize;
        if rest != 0 {
            self.write(&[0u8; BLOCK][..BLOCK - rest])?;
        }
        Ok(())
    }
}

fn copy_truncated(field: &mut [u8; 100], value: &str) {
    let bytes = value.as_bytes();
    let n = bytes.len().min(field.len());
    field.fill(0);
    field[..n].copy_from_slice(&bytes[..n]);
}

/// A writer that hashes (SHA-256) and counts what passes through it.
pub(crate) struct HashingWriter<W: Write> {
    pub(crate) inner: W,
    sha256: Sha256,
    pub(crate) written: u64,
}

impl<W: Write> HashingWriter<W> {
    pub(crate) fn new(inner: W) -> Self {
        HashingWriter { inner, sha256: Sha256::new(), written: 0 }
    }

    /// The SHA-256 (hex) of everything written so far.
    pub(crate) fn sha256_hex(&self) -> String {
        hex::encode(self.sha256.clone().finalize())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sha256.update(&buf[..n]);
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the outer ar archive: `debian-binary`, `control.tar.xz`, `data.tar.xz`, in that order,
/// members owned by 0:0, mode 100644, dated `mtime`.
pub(crate) fn write_ar<W: Write>(
    out: W,
    mtime: u64,
    control: &[u8],
    data: impl Read,
    data_size: u64,
) -> io::Result<W> {
    let mut builder = ar::Builder::new(out);
    let header = |name: &str, size: u64| {
        let mut h = ar::Header::new(name.as_bytes().to_vec(), size);
        h.set_mtime(mtime);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mode(0o100_644);
        h
    };
    builder.append(&header("debian-binary", 4), &b"2.0\n"[..])?;
    builder.append(&header("control.tar.xz", control.len() as u64), control)?;
    builder.append(&header("data.tar.xz", data_size), data)?;
    builder.into_inner()
}
