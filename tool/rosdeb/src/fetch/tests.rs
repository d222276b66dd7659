//! Unit tests of the cache, the lock file and source handling (no network; the HTTP paths are
//! covered by `tests/it/fetch.rs` against a real server on 127.0.0.1).

use std::path::{Path, PathBuf};

use super::*;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into()).collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn sha256_is_lowercase_hex() {
    assert_eq!(
        sha256_hex(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(sha256_hex(b"").len(), 64);
}

#[test]
fn cache_round_trip_and_layout() {
    let dir = tmp();
    let cache = Cache::new(dir.path().join("http"));
    let url = "http://example.org/noetic/distribution.yaml";
    assert!(cache.get(url).is_none());
    let meta = cache
        .put(url, Some("\"e1\"".into()), Some("Sat, 01 Nov 2025 00:00:00 GMT".into()), b"body")
        .unwrap();
    assert_eq!(meta.sha256, sha256_hex(b"body"));
    let (got, body) = cache.get(url).unwrap();
    assert_eq!((got, body), (meta, b"body".to_vec()));
    let (b, m) = cache.paths(url);
    let key = &sha256_hex(url.as_bytes())[..32];
    assert_eq!(files_in(cache.dir()), [format!("{key}.body"), format!("{key}.json")]);
    assert!(b.ends_with(format!("{key}.body")) && m.ends_with(format!("{key}.json")));
    // Another URL, another entry; the first is untouched.
    cache.put("http://example.org/other", None, None, b"x").unwrap();
    assert_eq!(cache.get(url).unwrap().1, b"body");
}

#[test]
fn damaged_cache_entries_read_as_missing() {
    let dir = tmp();
    let cache = Cache::new(dir.path().to_path_buf());
    let url = "https://example.org/a.yaml.gz";
    cache.put(url, None, None, b"0123456789").unwrap();
    let (body, meta) = cache.paths(url);
    // A body of the wrong content (same length), then a short body, then broken metadata.
    fs_err::write(&body, b"01234567xx").unwrap();
    assert!(cache.get(url).is_none());
    fs_err::write(&body, b"01234").unwrap();
    assert!(cache.get(url).is_none());
    cache.put(url, None, None, b"0123456789").unwrap();
    assert!(cache.get(url).is_some());
    fs_err::write(&meta, b"{not json").unwrap();
    assert!(cache.get(url).is_none());
    // Metadata of another URL under this key is not trusted either.
    cache.put(url, None, None, b"0123456789").unwrap();
    let text = fs_err::read_to_string(&meta).unwrap().replace(url, "https://example.org/b");
    fs_err::write(&meta, text).unwrap();
    assert!(cache.get(url).is_none());
}

#[test]
fn lock_text_is_sorted_and_round_trips() {
    let mut lock = Lock::new();
    lock.inputs.insert("z.yaml".into(), "22".into());
    lock.inputs.insert("http://a/index.yaml".into(), "11".into());
    let text = lock.to_text();
    assert_eq!(
        text,
        "{\n  \"schema\": 1,\n  \"inputs\": {\n    \"http://a/index.yaml\": \"11\",\n    \"z.yaml\": \"22\"\n  }\n}\n"
    );
    assert_eq!(Lock::parse(Path::new("l"), &text).unwrap(), lock);
}

#[test]
fn bad_lock_files_are_positioned_errors() {
    let e = Lock::parse(Path::new("rosdeb.lock"), "{\n  \"schema\": 1,\n  \"inputs\": [}\n")
        .unwrap_err();
    assert!(e.to_string().starts_with("rosdeb.lock:3:"), "{e}");
    let e = Lock::parse(Path::new("rosdeb.lock"), "{\"schema\": 7, \"inputs\": {}}").unwrap_err();
    assert!(e.to_string().contains("schema 7"), "{e}");
    let dir = tmp();
    assert_eq!(Lock::read(&dir.path().join("none.lock")).unwrap(), None);
}

#[test]
fn lock_check_names_the_source() {
    let mut lock = Lock::new();
    lock.inputs.insert("http://h/d.yaml".into(), "a".repeat(64));
    let path = Path::new("rosdeb.lock");
    lock.check(path, "http://h/d.yaml", &"a".repeat(64)).unwrap();
    let e = lock.check(path, "http://h/d.yaml", &"b".repeat(64)).unwrap_err().to_string();
    assert!(e.contains("http://h/d.yaml does not match the lock file rosdeb.lock"), "{e}");
    assert!(e.contains("aaaaaaaaaaaa recorded, bbbbbbbbbbbb read"), "{e}");
    assert!(!e.contains('\n'));
    let e = lock.check(path, "http://h/other.yaml", "c").unwrap_err().to_string();
    assert!(e.contains("http://h/other.yaml is not in the lock file rosdeb.lock"), "{e}");
}

fn options(dir: &Path) -> Options {
    Options { cache_dir: Some(dir.join("cache")), ..Options::default() }
}

#[test]
fn local_files_are_read_hashed_recorded_and_locked() {
    let dir = tmp();
    let file = dir.path().join("d.yaml");
    fs_err::write(&file, b"type: distribution\n").unwrap();
    let lock_path = dir.path().join("rosdeb.lock");
    let source = file.display().to_string();
    let url = format!("file://{source}");

    let fetcher =
        Fetcher::new(Options { lock: Some(lock_path.clone()), ..options(dir.path()) }).unwrap();
    let got = fetcher.get(&source).unwrap();
    assert_eq!((got.origin, got.path.clone()), (Origin::Local, file.clone()));
    assert_eq!(&*got.bytes, b"type: distribution\n");
    assert_eq!(fetcher.get_text(&url).unwrap(), (file.clone(), "type: distribution\n".into()));
    fetcher.finish().unwrap();
    let lock = Lock::read(&lock_path).unwrap().unwrap();
    assert_eq!(lock.inputs.keys().collect::<Vec<_>>(), [&source, &url]);
    assert_eq!(lock.inputs[&source], sha256_hex(b"type: distribution\n"));

    // --frozen: the same content passes, changed content and unknown sources fail.
    let frozen = Options { frozen: true, lock: Some(lock_path.clone()), ..options(dir.path()) };
    Fetcher::new(frozen.clone()).unwrap().get(&source).unwrap();
    fs_err::write(&file, b"type: distribution\nversion: 2\n").unwrap();
    let e = Fetcher::new(frozen.clone()).unwrap().get(&source).unwrap_err().to_string();
    assert!(e.contains("does not match the lock file"), "{e}");
    let other = dir.path().join("other.yaml");
    fs_err::write(&other, b"x").unwrap();
    let e = Fetcher::new(frozen).unwrap().get(&other.display().to_string()).unwrap_err();
    assert!(e.to_string().contains("is not in the lock file"), "{e}");
    // Without --frozen the lock is updated (merged), and nothing else appears in the folder.
    let fetcher =
        Fetcher::new(Options { lock: Some(lock_path.clone()), ..options(dir.path()) }).unwrap();
    fetcher.get(&source).unwrap();
    fetcher.finish().unwrap();
    let lock = Lock::read(&lock_path).unwrap().unwrap();
    assert_eq!(lock.inputs[&source], sha256_hex(b"type: distribution\nversion: 2\n"));
    assert!(lock.inputs.contains_key(&url));
    assert_eq!(files_in(dir.path()), ["d.yaml", "other.yaml", "rosdeb.lock"]);
}

#[test]
fn frozen_without_a_lock_file_fails_clearly() {
    let dir = tmp();
    let lock = dir.path().join("missing.lock");
    let e = Fetcher::new(Options { frozen: true, lock: Some(lock), ..options(dir.path()) })
        .unwrap_err()
        .to_string();
    assert!(e.contains("--frozen needs a lock file") && e.contains("missing.lock"), "{e}");
}

#[test]
fn unsupported_and_uncached_sources_are_one_line_errors() {
    let dir = tmp();
    let fetcher = Fetcher::new(Options { offline: true, ..options(dir.path()) }).unwrap();
    let e = fetcher.get("ftp://example.org/x.yaml").unwrap_err().to_string();
    assert_eq!(e, "cannot fetch ftp://example.org/x.yaml: the URL scheme 'ftp' is not supported");
    let e = fetcher.get("https://example.org/x.yaml").unwrap_err().to_string();
    assert_eq!(e, "cannot fetch https://example.org/x.yaml: not in the HTTP cache (--offline)");
    let e = fetcher.get(&dir.path().join("none.yaml").display().to_string()).unwrap_err();
    assert!(e.to_string().contains("none.yaml"), "{e}");
}

#[test]
fn offline_reads_the_cache() {
    let dir = tmp();
    let url = "https://example.org/noetic/distribution.yaml";
    Cache::new(dir.path().join("cache")).put(url, Some("\"1\"".into()), None, b"cached").unwrap();
    let fetcher = Fetcher::new(Options { offline: true, ..options(dir.path()) }).unwrap();
    let got = fetcher.get(url).unwrap();
    assert_eq!(
        (got.origin, &*got.bytes, got.path),
        (Origin::Cached, &b"cached"[..], PathBuf::from(url))
    );
}

#[test]
fn urls_join_like_a_browser() {
    let base = "http://127.0.0.1:8080/rosdistro/index-v4.yaml";
    assert_eq!(
        join_url(base, "noetic/distribution.yaml").unwrap(),
        "http://127.0.0.1:8080/rosdistro/noetic/distribution.yaml"
    );
    assert_eq!(join_url(base, "../x.yaml").unwrap(), "http://127.0.0.1:8080/x.yaml");
    assert_eq!(join_url(base, "/abs.yaml").unwrap(), "http://127.0.0.1:8080/abs.yaml");
    assert_eq!(join_url(base, "https://other/y").unwrap(), "https://other/y");
    assert_eq!(join_url("not a url", "x"), None);
    assert!(is_http("HTTPS://x") && is_http("http://x") && !is_http("file:///x") && !is_http("h"));
}

#[test]
fn default_cache_dir_follows_xdg() {
    let some = |s: &str| Some(std::ffi::OsString::from(s));
    assert_eq!(
        default_cache_dir(some("/xdg"), some("/home/u")),
        Some(PathBuf::from("/xdg/rosdeb/http"))
    );
    assert_eq!(
        default_cache_dir(some("relative"), some("/home/u")),
        Some(PathBuf::from("/home/u/.cache/rosdeb/http"))
    );
    assert_eq!(
        default_cache_dir(None, some("/home/u")),
        Some(PathBuf::from("/home/u/.cache/rosdeb/http"))
    );
    assert_eq!(default_cache_dir(None, None), None);
}

#[test]
fn parse_results_are_cached_by_content_and_path() {
    let dir = tmp();
    let input = dir.path().join("rules.yaml");
    fs_err::write(&input, "a: 1\n").unwrap();
    let source = input.to_str().unwrap();
    let calls = std::cell::Cell::new(0);
    let parse = |_: &Path, text: String| -> anyhow::Result<Vec<String>> {
        calls.set(calls.get() + 1);
        Ok(text.lines().map(str::to_owned).collect())
    };
    let read = |kind: &str| {
        let fetcher = Fetcher::new(options(dir.path())).unwrap();
        fetcher.get_parsed(source, kind, parse).unwrap().1
    };
    assert_eq!(read("lines"), vec!["a: 1"]);
    assert_eq!(read("lines"), vec!["a: 1"]);
    assert_eq!(calls.get(), 1, "the second read comes from the cache");
    read("other kind");
    assert_eq!(calls.get(), 2, "another kind is another entry");

    // New content is parsed again; a damaged entry is ignored and rewritten.
    fs_err::write(&input, "a: 2\n").unwrap();
    assert_eq!(read("lines"), vec!["a: 2"]);
    assert_eq!(calls.get(), 3);
    let parsed = dir.path().join("parsed");
    for name in files_in(&parsed) {
        fs_err::write(parsed.join(name), b"\xff\xff\xff").unwrap();
    }
    assert_eq!(read("lines"), vec!["a: 2"]);
    assert_eq!(calls.get(), 4);
    assert_eq!(read("lines"), vec!["a: 2"]);
    assert_eq!(calls.get(), 4);
    assert!(files_in(&parsed).iter().all(|f| !f.starts_with(".rosdeb-tmp")));
}

#[test]
fn failed_parses_are_not_cached() {
    let dir = tmp();
    let input = dir.path().join("bad.yaml");
    fs_err::write(&input, "x").unwrap();
    let fetcher = Fetcher::new(options(dir.path())).unwrap();
    let source = input.to_str().unwrap();
    let failing = |_: &Path, _: String| -> anyhow::Result<u32> { anyhow::bail!("no") };
    assert!(fetcher.get_parsed(source, "n", failing).is_err());
    assert!(files_in(&dir.path().join("parsed")).is_empty());
    assert_eq!(fetcher.get_parsed(source, "n", |_, _| Ok(7u32)).unwrap().1, 7);
}

#[test]
fn download_limits_read_as_sizes() {
    assert_eq!(parse_size("1000"), Ok(1000));
    assert_eq!(parse_size("256M"), Ok(DEFAULT_MAX_DOWNLOAD));
    assert_eq!(parse_size("1k"), Ok(1024));
    assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
    assert_eq!(parse_size("3MB"), Ok(3 << 20));
    for bad in ["", "M", "0", "-1", "1.5M", "1T", "lots", "99999999999999999999G"] {
        assert!(parse_size(bad).is_err(), "{bad:?}");
    }
}

/// An endless reader is read up to the cap and no further, and the buffer never grows past
/// the cap (a doubling `read_to_end` would reach twice the cap).
#[test]
fn reads_stop_at_the_cap_without_growing_past_it() {
    let cap = (1 << 20) + 1;
    let mut body = Vec::new();
    read_at_most(&mut std::io::repeat(b'x'), cap, &mut body).unwrap();
    assert_eq!(body.len() as u64, cap);
    assert!(body.capacity() as u64 <= cap, "capacity {}", body.capacity());
    let mut short = Vec::new();
    read_at_most(&mut &b"abc"[..], cap, &mut short).unwrap();
    assert_eq!(short, b"abc");
}
