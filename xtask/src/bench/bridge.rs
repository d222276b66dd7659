//! `cargo xtask bench bridge`: the pyros bridge against direct rospy, side by side in one run.
//!
//! One Debian `roscore` on a free loopback port, rospy peers (`bridge/python/bench/ros_peer.py`,
//! run with `/usr/bin/python3`) and a release `pyros-bridge --backend ros`; the bridge's clients
//! are the pure-Python client (`bridge/python/bench/bench_client.py`). Measured:
//!
//! 1. service round trip: Python client → bridge → rospy `std_srvs/SetBool` service, next to a
//!    direct rospy call, persistent and not;
//! 2. `get_latest` round trip on a topic that has a message;
//! 3. small messages (`std_msgs/UInt64`, rospy publishing as fast as it can): delivered per second
//!    to one Python client, and in total to several clients (bridge fan-out);
//! 4. a 640x480 RGB `sensor_msgs/Image` end to end (publisher stamp to client receipt) through
//!    the bridge, next to a direct rospy subscriber;
//! 5. memory: the bridge's resident set with 256 idle connections, and while a client that never
//!    reads subscribes to the image stream.
//!
//! Prints medians, p99 and ratios as a Markdown table (and `--out FILE`).

use std::fmt::Write as _;
use std::io::BufReader;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::{bench_dir, deb_version, fmt_duration, machine_header};

const PYTHON: &str = "/usr/bin/python3";
const ROSCORE: &str = "/usr/bin/roscore";
/// Connections that subscribe to the image stream and never read.
const STALLED: usize = 4;
/// rospy publishers flooding a topic at once.
const FLOODS: usize = 2;

#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Service calls timed per path (direct persistent, through the bridge).
    #[arg(long, default_value_t = 2000)]
    calls: usize,
    /// Direct non-persistent rospy calls timed (each opens a connection, about 1.5 ms).
    #[arg(long, default_value_t = 300)]
    fresh_calls: usize,
    /// Seconds of flooding for the stream measurements.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Python clients in the fan-out measurement.
    #[arg(long, default_value_t = 8)]
    fanout: usize,
    /// Images timed per path.
    #[arg(long, default_value_t = 100)]
    images: usize,
    /// Seconds the stalled readers stay subscribed.
    #[arg(long, default_value_t = 6.0)]
    stall_seconds: f64,
    /// Use this pyros-bridge binary instead of building one with `cargo build --release`.
    #[arg(long, value_name = "PATH")]
    bridge: Option<PathBuf>,
    /// Also write the Markdown report to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

pub(crate) fn run(args: &Args) -> anyhow::Result<()> {
    for tool in [PYTHON, ROSCORE] {
        if !Path::new(tool).exists() {
            bail!(
                "`{tool}` is missing (Debian packages ros-core, python3-rospy; `cargo xtask ci` as root installs them)"
            );
        }
    }
    let bridge = match &args.bridge {
        Some(path) => {
            path.canonicalize().with_context(|| format!("--bridge {}", path.display()))?
        }
        None => build_bridge_release()?,
    };
    let dir = bench_dir().join("bridge");
    if dir.exists() {
        fs_err::remove_dir_all(&dir)?;
    }
    fs_err::create_dir_all(&dir)?;
    let root = crate::project_root();
    let bench = root.join("bridge/python/bench");
    let world = World::start(&dir, &bridge, &root.join("bridge/python"))?;

    let mut rows: Vec<Row> = Vec::new();
    eprintln!("==> bench bridge: service round trips");
    world.peer_ready(&bench, &["service", "/bench_setbool"])?;
    let persistent = world
        .peer_json(&bench, &["call", "/bench_setbool", &args.calls.to_string(), "persistent"])?;
    let fresh = world
        .peer_json(&bench, &["call", "/bench_setbool", &args.fresh_calls.to_string(), "fresh"])?;
    let through =
        world.client_json(&bench, &["call", "/bench_setbool", &args.calls.to_string()])?;
    let through = Stats::of(&through)?;
    let persistent = Stats::of(&persistent)?;
    let fresh = Stats::of(&fresh)?;
    rows.push(Row::latency("service call, Python client → bridge → rospy", &through, "≤ 0.5 ms"));
    rows.push(Row::latency("service call, direct rospy, persistent", &persistent, ""));
    rows.push(Row::latency("service call, direct rospy, new connection", &fresh, ""));

    eprintln!("==> bench bridge: get_latest");
    world.peer_ready(&bench, &["ticker", "/bench_latest", "10"])?;
    let latest = Stats::of(
        &world.client_json(&bench, &["latest", "/bench_latest", &args.calls.to_string()])?,
    )?;
    rows.push(Row::latency("get_latest, Python client", &latest, "≤ 0.1 ms"));

    eprintln!("==> bench bridge: small-message stream, 1 client");
    let seconds = args.seconds.to_string();
    let flood_seconds = (args.seconds + 3.0).to_string();
    let one = world.stream(&bench, "stream", "/bench_flood_1", &seconds, &flood_seconds, 1)?;
    eprintln!("==> bench bridge: small-message fan-out, {} clients", args.fanout);
    let many =
        world.stream(&bench, "count", "/bench_flood_n", &seconds, &flood_seconds, args.fanout)?;

    eprintln!("==> bench bridge: 640x480 RGB image");
    let direct_image = {
        let sub = world
            .peer_spawn_ready(&bench, &["image-sub", "/bench_image_d", &args.images.to_string()])?;
        let publisher_seconds = (args.images as f64 / 20.0 + 5.0).to_string();
        let _publisher = world
            .peer_spawn_ready(&bench, &["image", "/bench_image_d", "20", &publisher_seconds])?;
        Stats::of(&sub.json()?)?
    };
    let bridge_image = {
        let sub = world
            .client_spawn_ready(&bench, &["image", "/bench_image_b", &args.images.to_string()])?;
        let publisher_seconds = (args.images as f64 / 20.0 + 5.0).to_string();
        let _publisher = world
            .peer_spawn_ready(&bench, &["image", "/bench_image_b", "20", &publisher_seconds])?;
        Stats::of(&sub.json()?)?
    };
    rows.push(Row::latency("640x480 RGB image, rospy → bridge → Python client", &bridge_image, ""));
    rows.push(Row::latency("640x480 RGB image, rospy → rospy", &direct_image, ""));

    eprintln!("==> bench bridge: memory");
    let base_kib = world.bridge_rss_kib()?;
    let hold = world.client_spawn_ready(&bench, &["hold", "256", "3"])?;
    std::thread::sleep(Duration::from_millis(500));
    let held_kib = world.bridge_rss_kib()?;
    let held = hold.json()?;
    let connections = held["connections"].as_u64().unwrap_or(0);
    // Stalled readers: the image stream already flows to one reading client (so the ROS side of
    // the topic is in the baseline); then STALLED connections subscribe and never read.
    let publisher_seconds = (args.stall_seconds + 8.0).to_string();
    let reader = world.client_spawn_ready(&bench, &["image", "/bench_image_s", "1000000"])?;
    let publisher =
        world.peer_spawn_ready(&bench, &["image", "/bench_image_s", "30", &publisher_seconds])?;
    std::thread::sleep(Duration::from_secs(2));
    let before_stall = world.bridge_rss_kib()?;
    let stall_seconds = args.stall_seconds.to_string();
    let stalled = (0..STALLED)
        .map(|_| world.client_spawn_ready(&bench, &["stall", "/bench_image_s", &stall_seconds]))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut stalled_peak = before_stall;
    let until = Instant::now() + Duration::from_secs_f64(args.stall_seconds - 0.5);
    while Instant::now() < until {
        stalled_peak = stalled_peak.max(world.bridge_rss_kib()?);
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(stalled);
    drop(publisher);
    drop(reader);

    let mut report = String::from("# Benchmark: the pyros bridge\n\n");
    report.push_str(&machine_header());
    let _ = writeln!(
        report,
        "- peers: Debian `roscore` (ros-core {}), rospy peers `bridge/python/bench/ros_peer.py` \
         under `{PYTHON}`; bridge `{}` (release) with `--backend ros --allow '*'`; clients: the \
         pure-Python client (`bridge/python/bench/bench_client.py`, `{PYTHON}`)",
        deb_version("ros-core"),
        super::shown(&bridge)
    );
    let _ = writeln!(
        report,
        "- method: latencies measured inside the client process around each call ({} calls per \
         path after 20 warm-up calls; {} for new-connection calls); stream rates counted by the \
         receiving clients over {} s after their first message while rospy publishes \
         `std_msgs/UInt64` flat out from two processes (one client decoding with the Python client; for the \
         fan-out, clients that only split the frames, so that the bridge is measured and not \
         Python's JSON decoder); images at 20 Hz, latency = receipt time − header stamp \
         (same clock); memory = the bridge's VmRSS\n",
        args.calls, args.fresh_calls, args.seconds
    );
    report.push_str("| measurement | median | p99 | target |\n| --- | ---: | ---: | --- |\n");
    for row in &rows {
        let _ =
            writeln!(report, "| {} | {} | {} | {} |", row.what, row.median, row.p99, row.target);
    }
    let _ = writeln!(
        report,
        "| small messages to 1 Python client | {:.0} msg/s | — | ≥ 10,000 msg/s |",
        one.rate()
    );
    let _ = writeln!(
        report,
        "| small messages, bridge fan-out to {} raw-socket clients (total) | {:.0} msg/s | — | ≥ 50,000 msg/s |",
        args.fanout,
        many.rate()
    );
    let _ = writeln!(
        report,
        "| 256 idle connections: bridge RSS growth per connection | {:.1} KiB | — | 256 connections |",
        held_kib.saturating_sub(base_kib) as f64 / connections.max(1) as f64
    );
    let _ = writeln!(
        report,
        "| {STALLED} clients that never read, on 30 Hz 640x480 images: bridge RSS growth per \
         connection (peak) | {:.1} MiB | — | ≤ 4 MiB per connection |",
        stalled_peak.saturating_sub(before_stall) as f64 / 1024.0 / STALLED as f64
    );
    let _ = writeln!(report);
    let _ = writeln!(
        report,
        "Ratios: bridge call / direct persistent rospy call = {:.1}×; direct new-connection rospy \
         call / bridge call = {:.1}×; image latency added by the bridge (median) = {}; stream \
         drops reported to clients: {} (1 client), {} (fan-out).",
        ratio(through.median, persistent.median),
        ratio(fresh.median, through.median),
        fmt_signed(bridge_image.median, direct_image.median),
        one.dropped,
        many.dropped,
    );
    print!("{report}");
    if let Some(out) = &args.out {
        fs_err::write(out, &report)?;
    }
    Ok(())
}

/// `cargo build --release -p bridge-node`; the path of `pyros-bridge`.
fn build_bridge_release() -> anyhow::Result<PathBuf> {
    let sh = crate::root_shell()?;
    crate::banner("building pyros-bridge (release)");
    xshell::cmd!(sh, "cargo build --release -p bridge-node").run()?;
    Ok(crate::target_dir().join("release/pyros-bridge"))
}

/// A running roscore and bridge, and the environment every peer and client gets.
struct World {
    env: Vec<(String, String)>,
    roscore: Guard,
    bridge: Guard,
    /// Peers that run until the benchmark ends (services, tickers).
    peers: std::cell::RefCell<Vec<Guard>>,
}

impl World {
    fn start(dir: &Path, bridge: &Path, pythonpath: &Path) -> anyhow::Result<World> {
        let port = free_port()?;
        let ros_home = dir.join("ros_home");
        fs_err::create_dir_all(&ros_home)?;
        let socket = dir.join("bridge.sock");
        let env = vec![
            ("ROS_MASTER_URI".to_owned(), format!("http://127.0.0.1:{port}")),
            ("ROS_IP".to_owned(), "127.0.0.1".to_owned()),
            ("ROS_HOME".to_owned(), ros_home.display().to_string()),
            ("PYROS_SOCKET".to_owned(), socket.display().to_string()),
            ("PYTHONPATH".to_owned(), pythonpath.display().to_string()),
        ];
        let log = fs_err::File::create(dir.join("roscore.log"))?;
        let mut roscore = Command::new(ROSCORE);
        roscore
            .args(["-p", &port.to_string()])
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("ROS_HOSTNAME")
            .stdout(log.try_clone()?.into_file())
            .stderr(log.into_file())
            .process_group(0);
        let roscore = Guard::spawn(roscore, "roscore")?;
        wait_until(Duration::from_secs(30), "roscore to answer", || {
            Command::new("/usr/bin/rosparam")
                .args(["get", "/run_id"])
                .envs(env.iter().map(|(k, v)| (k, v)))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })?;
        let log = fs_err::File::create(dir.join("bridge.log"))?;
        let mut command = Command::new(bridge);
        command
            .args(["run", "--backend", "ros", "--allow", "*", "--socket"])
            .arg(&socket)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(log.into_file())
            .process_group(0);
        let bridge = Guard::spawn(command, "pyros-bridge")?;
        wait_until(Duration::from_secs(30), "the bridge socket", || socket.exists())?;
        Ok(World { env, roscore, bridge, peers: Default::default() })
    }

    fn command(&self, program: &str, script: PathBuf, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command.arg(script).args(args).envs(self.env.iter().map(|(k, v)| (k, v)));
        command.env_remove("ROS_HOSTNAME").process_group(0);
        command
    }

    fn peer(&self, bench: &Path, args: &[&str]) -> Command {
        self.command(PYTHON, bench.join("ros_peer.py"), args)
    }

    fn client(&self, bench: &Path, args: &[&str]) -> Command {
        self.command(PYTHON, bench.join("bench_client.py"), args)
    }

    /// Starts a long-running peer (killed when the world ends) and waits for its `ready`.
    fn peer_ready(&self, bench: &Path, args: &[&str]) -> anyhow::Result<()> {
        let guard = self.peer_spawn_ready(bench, args)?;
        self.peers.borrow_mut().push(guard);
        Ok(())
    }

    fn peer_spawn_ready(&self, bench: &Path, args: &[&str]) -> anyhow::Result<Guard> {
        Guard::spawn_ready(self.peer(bench, args), args[0], Stream::Stdout)
    }

    fn client_spawn_ready(&self, bench: &Path, args: &[&str]) -> anyhow::Result<Guard> {
        Guard::spawn_ready(self.client(bench, args), args[0], Stream::Stderr)
    }

    fn peer_json(&self, bench: &Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        run_json(self.peer(bench, args), args[0])
    }

    fn client_json(&self, bench: &Path, args: &[&str]) -> anyhow::Result<serde_json::Value> {
        run_json(self.client(bench, args), args[0])
    }

    /// `clients` Python clients subscribed to `topic` while rospy floods it.
    fn stream(
        &self,
        bench: &Path,
        mode: &str,
        topic: &str,
        seconds: &str,
        flood_seconds: &str,
        clients: usize,
    ) -> anyhow::Result<Flow> {
        let subscribers = (0..clients)
            .map(|_| self.client_spawn_ready(bench, &[mode, topic, seconds]))
            .collect::<anyhow::Result<Vec<_>>>()?;
        // Two rospy publishers: one sends at most about 12,000 messages a second.
        let flood = (0..FLOODS)
            .map(|_| self.peer_spawn_ready(bench, &["flood", topic, flood_seconds]))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let mut flow = Flow::default();
        for subscriber in subscribers {
            let result = subscriber.json()?;
            let received = result["received"].as_f64().unwrap_or(0.0);
            let secs = result["seconds"].as_f64().unwrap_or(1.0).max(1e-3);
            flow.per_second += received / secs;
            flow.dropped += result["dropped"].as_u64().unwrap_or(0);
        }
        drop(flood);
        Ok(flow)
    }

    fn bridge_rss_kib(&self) -> anyhow::Result<u64> {
        let status = fs_err::read_to_string(format!("/proc/{}/status", self.bridge.pid()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS for the bridge")
    }
}

impl Drop for World {
    fn drop(&mut self) {
        self.peers.borrow_mut().clear();
        self.bridge.stop();
        self.roscore.stop();
    }
}

#[derive(Debug, Default)]
struct Flow {
    per_second: f64,
    dropped: u64,
}

impl Flow {
    fn rate(&self) -> f64 {
        self.per_second
    }
}

#[derive(Debug, Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// A child process in its own process group, stopped (SIGTERM to the group) on drop.
struct Guard {
    child: Option<Child>,
    /// The child's stdout, once its `ready` line has been read from it.
    stdout: Option<BufReader<std::process::ChildStdout>>,
    name: String,
}

impl Guard {
    fn spawn(mut command: Command, name: &str) -> anyhow::Result<Guard> {
        let child = command.spawn().with_context(|| format!("starting {name}"))?;
        Ok(Guard { child: Some(child), stdout: None, name: name.to_owned() })
    }

    /// Spawns with the readiness stream piped and waits for a line `ready` on it.
    fn spawn_ready(mut command: Command, name: &str, stream: Stream) -> anyhow::Result<Guard> {
        match stream {
            Stream::Stdout => command.stdout(Stdio::piped()).stderr(Stdio::inherit()),
            Stream::Stderr => command.stdout(Stdio::piped()).stderr(Stdio::piped()),
        };
        let mut guard = Guard::spawn(command, name)?;
        let child = guard.child.as_mut().expect("just spawned");
        let ready = match stream {
            Stream::Stdout => {
                let mut reader = BufReader::new(child.stdout.take().context("no stdout")?);
                let ok = wait_line(&mut reader)?;
                guard.stdout = Some(reader);
                ok
            }
            Stream::Stderr => {
                let mut reader = BufReader::new(child.stderr.take().context("no stderr")?);
                let ok = wait_line(&mut reader)?;
                std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::stderr()));
                ok
            }
        };
        if !ready {
            bail!("{name} ended before it was ready");
        }
        Ok(guard)
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits for the process to end and parses the last line of its stdout as JSON.
    fn json(mut self) -> anyhow::Result<serde_json::Value> {
        let mut child = self.child.take().context("no child")?;
        let mut text = String::new();
        if let Some(mut out) = self.stdout.take() {
            std::io::Read::read_to_string(&mut out, &mut text)?;
        } else if let Some(mut out) = child.stdout.take() {
            std::io::Read::read_to_string(&mut out, &mut text)?;
        }
        let status = child.wait()?;
        if !status.success() {
            bail!("{} failed ({status})", self.name);
        }
        let last = text.lines().rfind(|l| l.starts_with('{')).unwrap_or_default();
        serde_json::from_str(last)
            .with_context(|| format!("{}: no JSON result in {text:?}", self.name))
    }

    fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_group(child.id());
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            signal_group(rustix::process::Signal::KILL, child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        self.stop();
    }
}

fn kill_group(pid: u32) {
    signal_group(rustix::process::Signal::TERM, pid);
}

/// Signals the process group `pgid`, led by a process this benchmark started (never anything
/// else: a zero or out-of-range id does nothing).
fn signal_group(signal: rustix::process::Signal, pgid: u32) {
    let Some(pgid) = i32::try_from(pgid).ok().and_then(rustix::process::Pid::from_raw) else {
        return;
    };
    let _ = rustix::process::kill_process_group(pgid, signal);
}

fn wait_line(reader: &mut impl std::io::BufRead) -> anyhow::Result<bool> {
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(false);
        }
        if line.trim() == "ready" {
            return Ok(true);
        }
    }
}

fn run_json(mut command: Command, name: &str) -> anyhow::Result<serde_json::Value> {
    command.stdout(Stdio::piped());
    Guard::spawn(command, name)?.json()
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if ready() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    bail!("timed out waiting for {what}")
}

/// Median and p99 of a `{"latencies_s": [...]}` result.
#[derive(Debug, Clone, Copy)]
struct Stats {
    median: Duration,
    p99: Duration,
}

impl Stats {
    fn of(result: &serde_json::Value) -> anyhow::Result<Stats> {
        let mut values: Vec<f64> = result["latencies_s"]
            .as_array()
            .context("no latencies in the result")?
            .iter()
            .filter_map(serde_json::Value::as_f64)
            .collect();
        if values.is_empty() {
            bail!("no latencies measured");
        }
        values.sort_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((values.len() - 1) as f64 * q).round() as usize;
            Duration::from_secs_f64(values[i].max(0.0))
        };
        Ok(Stats { median: at(0.5), p99: at(0.99) })
    }
}

struct Row {
    what: String,
    median: String,
    p99: String,
    target: String,
}

impl Row {
    fn latency(what: &str, stats: &Stats, target: &str) -> Row {
        Row {
            what: what.to_owned(),
            median: fmt_duration(stats.median),
            p99: fmt_duration(stats.p99),
            target: if target.is_empty() { "—".to_owned() } else { target.to_owned() },
        }
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64().max(1e-9)
}

fn fmt_signed(a: Duration, b: Duration) -> String {
    if a >= b { fmt_duration(a - b) } else { format!("−{}", fmt_duration(b - a)) }
}
