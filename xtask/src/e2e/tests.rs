//! Unit tests of e2e's pure parts: the shipped unit's `ExecStart=` / `User=`, the
//! administrator's configuration edit, the cache's atomicity and the unreachable mirror.

use std::path::Path;

use super::bookworm::allow_in_default_profile;
use super::cache::{self, Suite};
use super::unit;

/// A file of the pyros-bridge package's packaging (`bridge/node/packaging/`).
fn shipped(file: &str) -> String {
    fs_err::read_to_string(crate::project_root().join("bridge/node/packaging").join(file)).unwrap()
}

/// Every entry of `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_shipped_unit_gives_the_bridge_command_line_and_user() {
    let service =
        unit::parse(&shipped("debian/pyros-bridge.service"), "debian/pyros-bridge.service")
            .unwrap();
    assert_eq!(
        service.exec_start,
        ["/usr/bin/pyros-bridge", "run", "--config", "/etc/pyros/bridge.toml"]
    );
    assert_eq!((service.user.as_str(), service.group.as_str()), ("pyros", "pyros"));
    assert!(service.environment.iter().any(|(k, v)| k == "ROS_HOME" && v == "/var/lib/pyros"));
    assert_eq!(service.environment_files, [("/etc/default/pyros-bridge".to_owned(), true)]);
    assert_eq!(
        service.directories,
        [
            ("/run/pyros".to_owned(), "0750".to_owned()),
            ("/var/lib/pyros".to_owned(), "0750".to_owned())
        ]
    );
}

#[test]
fn unit_parsing_follows_systemd_quoting_sections_and_continuations() {
    let text = "[Unit]\nExecStart=/bin/not-this\n[Service]\n# comment\n\
                ExecStart=/usr/bin/x \"a b\" 'c\\'d' e\\ f \\\n  --last\nUser=svc\n\
                Environment=\"A=1 2\" B=3\n";
    let service = unit::parse(text, "t.service").unwrap();
    assert_eq!(service.exec_start, ["/usr/bin/x", "a b", "c'd", "e f", "--last"]);
    assert_eq!(service.group, "svc", "Group= defaults to the user");
    assert_eq!(
        service.environment,
        [("A".to_owned(), "1 2".to_owned()), ("B".to_owned(), "3".to_owned())]
    );
    // An empty ExecStart= resets the list, as in a drop-in.
    let reset = "[Service]\nExecStart=/a\nExecStart=\nExecStart=/b\nUser=u\n";
    assert_eq!(unit::parse(reset, "r").unwrap().exec_start, ["/b"]);
}

#[test]
fn units_e2e_cannot_start_faithfully_are_refused_with_the_line() {
    for (text, needle) in [
        ("[Service]\nExecStart=/usr/bin/x\n", "t.service: no User="),
        ("[Service]\nUser=u\n", "t.service: no ExecStart="),
        ("[Service]\nUser=u\nExecStart=-/usr/bin/x\n", "t.service:3: ExecStart= starts with"),
        ("[Service]\nUser=u\nExecStart=/usr/bin/x $FLAGS\n", "t.service:3:"),
        ("[Service]\nUser=u\nExecStart=/usr/bin/x \"open\n", "unterminated"),
        ("[Service]\nUser=u\nExecStart=x\n", "not an absolute path"),
        ("[Service]\nUser=u\nExecStart=/a\nExecStart=/b\n", "t.service:4: a second ExecStart="),
        ("[Service]\nUser=-u;rm\nExecStart=/a\n", "not a plain system name"),
        (
            "[Service]\nUser=u\nExecStart=/a\nRuntimeDirectory=../etc\n",
            "t.service:4: RuntimeDirectory=",
        ),
        ("[Service]\nUser=u\nExecStart=/a\nStateDirectoryMode=u+rwx\n", "not an octal mode"),
    ] {
        let err = format!("{:#}", unit::parse(text, "t.service").unwrap_err());
        assert!(err.contains(needle), "{text:?}: {err}");
    }
}

#[test]
fn environment_files_are_key_value_lines() {
    let env = unit::parse_environment_file(
        "# master\nROS_MASTER_URI=http://127.0.0.1:4242\nROS_IP=\"127.0.0.1\"\n",
        "/etc/default/x",
    )
    .unwrap();
    assert_eq!(
        env,
        [
            ("ROS_MASTER_URI".to_owned(), "http://127.0.0.1:4242".to_owned()),
            ("ROS_IP".to_owned(), "127.0.0.1".to_owned())
        ]
    );
    let err = unit::parse_environment_file("A=1\njunk\n", "/etc/default/x").unwrap_err();
    assert!(format!("{err}").contains("/etc/default/x:2:"), "{err}");
}

#[test]
fn the_shipped_configuration_is_opened_for_the_topic_and_the_service() {
    let text = shipped("root/etc/pyros/bridge.toml");
    let edited = allow_in_default_profile(&text, "/chatter", "/e2e/check").unwrap();
    assert!(edited.contains("allow.subscribe = [\"/rosout_agg\", \"/chatter\"]\n"), "{edited}");
    assert!(edited.contains("allow.call = [\"/e2e/check\"]\n"), "{edited}");
    // Only that line changed; the comments (an example profile) are kept.
    let removed: Vec<&str> = text.lines().filter(|l| !edited.lines().any(|e| e == *l)).collect();
    assert_eq!(removed, ["allow.subscribe = [\"/rosout_agg\"]"]);
    let err = allow_in_default_profile("[profiles.other]\nallow.subscribe = []\n", "/t", "/s")
        .unwrap_err();
    assert!(format!("{err}").contains("[profiles.default]"), "{err}");
}

#[test]
fn a_failed_cache_build_leaves_nothing_and_a_good_one_replaces_older_dates() {
    let target = tempfile::tempdir().unwrap();
    fs_err::write(target.path().join("root-20200101.tar"), "old").unwrap();
    fs_err::write(target.path().join("root-build-20200101.tar"), "another cache").unwrap();
    let before = listing(target.path());

    let err = cache::cached_tarball(target.path(), "root", "20991231", |root| {
        fs_err::create_dir_all(root.join("etc"))?;
        fs_err::write(root.join("etc/half"), "half made")?;
        anyhow::bail!("made to fail")
    })
    .unwrap_err();
    assert!(format!("{err}").contains("made to fail"));
    assert_eq!(listing(target.path()), before, "a failed build leaves no work folder or partial");

    let panicked = std::panic::catch_unwind(|| {
        cache::cached_tarball(target.path(), "root", "20991231", |root| {
            fs_err::create_dir_all(root)?;
            panic!("made to panic")
        })
    });
    assert!(panicked.is_err());
    assert_eq!(listing(target.path()), before, "a panic leaves nothing either");

    let tarball = cache::cached_tarball(target.path(), "root", "20991231", |root| {
        fs_err::create_dir_all(root.join("etc"))?;
        fs_err::write(root.join("etc/os-release"), "ID=test\n")?;
        Ok(())
    })
    .unwrap();
    assert_eq!(tarball, target.path().join("root-20991231.tar"));
    assert_eq!(
        listing(target.path()),
        ["root-20991231.tar", "root-build-20200101.tar"],
        "the older date of this cache is removed, another cache's is kept, no leftovers"
    );
    let listed = std::process::Command::new("tar").arg("-tf").arg(&tarball).output().unwrap();
    assert!(String::from_utf8_lossy(&listed.stdout).contains("./etc/os-release"));

    // A cached tarball is reused without calling `make`.
    let again = cache::cached_tarball(target.path(), "root", "20991231", |_| {
        panic!("must not rebuild a cached root")
    })
    .unwrap();
    assert_eq!(again, tarball);
}

#[test]
fn an_unreachable_mirror_is_named_with_its_cause_and_leaves_no_cache() {
    let target = tempfile::tempdir().unwrap();
    let suite =
        Suite { name: "bookworm", mirror: "http://127.0.0.1:9/".to_owned(), options: Vec::new() };
    let err = cache::bootstrapped(target.path(), &suite, "20991231").unwrap_err();
    let text = format!("{err:#}");
    assert!(text.contains("http://127.0.0.1:9/"), "{text}");
    assert!(text.contains("Connection refused") || text.contains("refused"), "{text}");
    assert!(text.contains("E2E_DEBIAN_MIRROR"), "the hint names the override: {text}");
    assert!(listing(target.path()).is_empty(), "{:?}", listing(target.path()));
}

/// A one-connection HTTP server on a free port answering HTTP/1.0 requests with 426 (as
/// archive.ubuntu.com does) and others with `status`, its status line split in two writes;
/// returns the port and the request line.
fn one_shot_server(status: &'static str) -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{BufRead as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
        let mut request = String::new();
        reader.read_line(&mut request).unwrap();
        // Read the headers to their end: closing with unread input would reset the connection.
        let mut header = String::new();
        while reader.read_line(&mut header).unwrap() > 0 && header != "\r\n" {
            header.clear();
        }
        let answer =
            if request.trim_end().ends_with("HTTP/1.0") { "426 Upgrade Required" } else { status };
        // The status line in two pieces, as TCP may deliver it.
        write!(&stream, "HTTP/1.1 ").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        write!(&stream, "{answer}\r\nContent-Length: 0\r\n\r\n").unwrap();
        request.trim_end().to_owned()
    });
    (port, handle)
}

#[test]
fn the_mirror_probe_asks_for_the_suites_release_over_http_1_1() {
    let (port, server) = one_shot_server("200 OK");
    cache::probe(&format!("http://127.0.0.1:{port}/ubuntu"), "jammy").unwrap();
    assert_eq!(server.join().unwrap(), "HEAD /ubuntu/dists/jammy/Release HTTP/1.1");

    let (port, server) = one_shot_server("404 Not Found");
    let err = cache::probe(&format!("http://127.0.0.1:{port}/debian/"), "nosuch").unwrap_err();
    assert!(
        format!("{err}").contains("/debian/dists/nosuch/Release answered `HTTP/1.1 404"),
        "{err}"
    );
    server.join().unwrap();
}
