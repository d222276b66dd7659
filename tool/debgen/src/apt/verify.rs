//! The whole `.deb` checked before anything of it reaches a repository: the ar structure
//! (`debian-binary` first, then `control.tar.*`, then `data.tar.*`, each member's size within
//! the file), both tar members decompressed and read to their end, the control file taken out.
//! The file is read once; its hashes come from that same read, so what the pool receives
//! (checked against the SHA-256 by the copy) is what was verified.

use std::io::{self, BufReader, Read};
use std::path::Path;

use md5::Md5;
use sha2::{Digest as _, Sha256};

/// A verified `.deb`: its control file and the hashes and size of the bytes verified.
pub(crate) struct Verified {
    pub(crate) control: String,
    pub(crate) md5: String,
    pub(crate) sha256: String,
    pub(crate) size: u64,
}

/// Why a file is not a usable `.deb` (a sentence, without the file name), or an I/O error
/// opening or reading it.
pub(crate) enum Refusal {
    Invalid(String),
    Io(io::Error),
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Self {
        Refusal::Io(e)
    }
}

const CONTROL_LIMIT: u64 = 1 << 20;

/// Reads and checks the whole file at `path`.
pub(crate) fn verify(path: &Path) -> Result<Verified, Refusal> {
    let file = fs_err::File::open(path)?;
    let total = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(128 * 1024, Hashing::new(file));
    let invalid = |s: String| Refusal::Invalid(s);

    let mut magic = [0u8; 8];
    read_exact(&mut reader, &mut magic, "the ar signature")?;
    if &magic != b"!<arch>\n" {
        return Err(invalid("not an ar archive (no `!<arch>` signature)".to_owned()));
    }
    let mut offset = 8u64;
    // 0: expecting debian-binary, 1: control.tar.*, 2: data.tar.*, 3: done (extra members).
    let mut stage = 0;
    let mut control = None;
    loop {
        let mut header = [0u8; 60];
        let n = read_full(&mut reader, &mut header)?;
        if n == 0 {
            break;
        }
        if n < header.len() {
            return Err(invalid(format!(
                "truncated: the file ends inside an ar member header at byte {offset}"
            )));
        }
        if &header[58..60] != b"`\n" {
            return Err(invalid(format!("corrupt ar member header at byte {offset}")));
        }
        let name =
            String::from_utf8_lossy(&header[..16]).trim_end().trim_end_matches('/').to_owned();
        let size: u64 = std::str::from_utf8(&header[48..58])
            .ok()
            .and_then(|s| s.trim_end().parse().ok())
            .ok_or_else(|| invalid(format!("ar member `{name}` has an unreadable size")))?;
        offset += 60;
        let padded = size + size % 2;
        if offset + size > total {
            return Err(invalid(format!(
                "truncated: ar member `{name}` claims {size} bytes at byte {offset}, the file \
                 has {} left",
                total - offset
            )));
        }
        let mut member = (&mut reader).take(size);
        match (stage, name.as_str()) {
            (0, "debian-binary") => {
                let mut text = Vec::new();
                (&mut member).take(64).read_to_end(&mut text)?;
                if !text.starts_with(b"2.") || !text.ends_with(b"\n") {
                    return Err(invalid("`debian-binary` is not a 2.x format version".to_owned()));
                }
                stage = 1;
            }
            (0, _) => {
                return Err(invalid(format!(
                    "the first ar member is `{name}`, not `debian-binary`"
                )));
            }
            (1 | 2, _) if name.starts_with('_') => {}
            (1, _) if name.starts_with("control.tar") => {
                let decoded = decoder(&name, &mut member)?;
                control = Some(read_tar(&name, decoded, true)?.unwrap_or_default());
                stage = 2;
            }
            (1, _) => {
                return Err(invalid(format!(
                    "ar member `{name}` comes where `control.tar` must (members out of order)"
                )));
            }
            (2, _) if name.starts_with("data.tar") => {
                let decoded = decoder(&name, &mut member)?;
                read_tar(&name, decoded, false)?;
                stage = 3;
            }
            (2, _) => {
                return Err(invalid(format!(
                    "ar member `{name}` comes where `data.tar` must (members out of order)"
                )));
            }
            _ => {} // members after data.tar are ignored, as dpkg does
        }
        // Whatever the decoder did not consume (trailing bytes of the member), then the padding.
        io::copy(&mut member, &mut io::sink())?;
        if member.limit() != 0 {
            return Err(invalid(format!("truncated: the file ends inside ar member `{name}`")));
        }
        if padded > size {
            let mut pad = [0u8; 1];
            if read_full(&mut reader, &mut pad)? != 1 {
                return Err(invalid(format!("truncated: no padding after ar member `{name}`")));
            }
        }
        offset += padded;
    }
    let missing = match stage {
        0 => Some("debian-binary"),
        1 => Some("control.tar"),
        2 => Some("data.tar"),
        _ => None,
    };
    if let Some(missing) = missing {
        return Err(invalid(format!("truncated or incomplete: no `{missing}` member")));
    }
    let control = control.unwrap_or_default();
    if control.is_empty() {
        return Err(invalid("`control.tar` holds no `control` file".to_owned()));
    }
    let hashing = reader.into_inner();
    Ok(Verified {
        control,
        md5: hex::encode(hashing.md5.finalize()),
        sha256: hex::encode(hashing.sha256.finalize()),
        size: hashing.size,
    })
}

/// The decompressed stream of a tar member, or a refusal for a compression we cannot read.
fn decoder<'a, R: Read + 'a>(name: &str, member: R) -> Result<Box<dyn Read + 'a>, Refusal> {
    let suffix = name.split_once(".tar").map_or("", |(_, s)| s);
    Ok(match suffix {
        "" => Box::new(member),
        ".xz" => Box::new(liblzma::read::XzDecoder::new(member)),
        ".gz" => Box::new(flate2::read::GzDecoder::new(member)),
        _ => {
            return Err(Refusal::Invalid(format!(
                "ar member `{name}` is compressed in a way rosdeb cannot check (it reads xz, \
                 gzip and uncompressed tar members)"
            )));
        }
    })
}

/// Reads every entry of a tar member to its end, and the decompressed stream to its end; with
/// `want_control`, returns the text of `./control`.
fn read_tar(name: &str, decoded: impl Read, want_control: bool) -> Result<Option<String>, Refusal> {
    let bad =
        |e: io::Error| Refusal::Invalid(format!("ar member `{name}` is not a readable tar: {e}"));
    let mut control = None;
    let mut archive = tar::Archive::new(decoded);
    for entry in archive.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        let is_control = want_control && {
            let path = entry.path().map_err(bad)?;
            path.as_os_str() == "control" || path.as_os_str() == "./control"
        };
        if is_control {
            if entry.size() > CONTROL_LIMIT {
                return Err(Refusal::Invalid(format!("the control file in `{name}` is too large")));
            }
            let mut text = String::new();
            entry.read_to_string(&mut text).map_err(|e| match e.kind() {
                io::ErrorKind::InvalidData => {
                    Refusal::Invalid("the control file is not UTF-8".to_owned())
                }
                _ => bad(e),
            })?;
            control = Some(text);
        } else {
            io::copy(&mut entry, &mut io::sink()).map_err(bad)?;
        }
    }
    // The end-of-archive blocks and the compressed stream's own end (and checksum).
    let mut inner = archive.into_inner();
    io::copy(&mut inner, &mut io::sink()).map_err(|e| {
        Refusal::Invalid(format!("ar member `{name}` does not decompress to its end: {e}"))
    })?;
    Ok(control)
}

fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

fn read_exact(reader: &mut impl Read, buf: &mut [u8], what: &str) -> Result<(), Refusal> {
    if read_full(reader, buf)? < buf.len() {
        return Err(Refusal::Invalid(format!("truncated: the file ends inside {what}")));
    }
    Ok(())
}

/// A reader that hashes (MD5, SHA-256) and counts what it reads.
struct Hashing<R> {
    inner: R,
    md5: Md5,
    sha256: Sha256,
    size: u64,
}

impl<R> Hashing<R> {
    fn new(inner: R) -> Self {
        Hashing { inner, md5: Md5::new(), sha256: Sha256::new(), size: 0 }
    }
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.md5.update(&buf[..n]);
        self.sha256.update(&buf[..n]);
        self.size += n as u64;
        Ok(n)
    }
}
