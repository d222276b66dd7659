//! A private Debian `roscore` per test: a free loopback port, `ROS_IP`
//! 127.0.0.1, `ROS_HOME` in a temporary folder; stopped by PID with SIGTERM. Also rospy
//! helper nodes run with `/usr/bin/python3`, and `pyros-bridge --backend ros` against it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};

use super::{Bridge, bridge_exe};

pub(crate) const PYTHON: &str = "/usr/bin/python3";

const HINT: &str = "the ROS tests need Debian's ROS packages: apt-get install ros-core \
    ros-std-msgs python3-std-msgs ros-std-srvs python3-std-srvs ros-geometry-msgs \
    python3-geometry-msgs ros-sensor-msgs python3-sensor-msgs (`cargo xtask ci` installs them \
    when run as root)";

/// A roscore child process on its own port; stopped on drop.
pub(crate) struct Roscore {
    child: Option<Child>,
    port: u16,
    home: tempfile::TempDir,
    starts: u32,
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local address").port()
}

impl Roscore {
    pub(crate) fn start() -> Roscore {
        let mut roscore = Roscore::stopped();
        roscore.spawn();
        roscore
    }

    /// A port and a `ROS_HOME` for a master that is not running yet ([`Roscore::restart`]
    /// starts it).
    pub(crate) fn stopped() -> Roscore {
        assert!(Path::new("/usr/bin/roscore").exists(), "roscore is missing: {HINT}");
        assert!(Path::new(PYTHON).exists(), "{PYTHON} is missing: {HINT}");
        Roscore {
            child: None,
            port: free_port(),
            home: tempfile::tempdir().expect("temp dir"),
            starts: 0,
        }
    }

    pub(crate) fn uri(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn home(&self) -> &Path {
        self.home.path()
    }

    /// Sets the ROS environment of this master on `command`.
    pub(crate) fn env<'a>(&self, command: &'a mut Command) -> &'a mut Command {
        command
            .env("ROS_MASTER_URI", self.uri())
            .env("ROS_IP", "127.0.0.1")
            .env("ROS_HOME", self.home.path())
            .env_remove("ROS_HOSTNAME")
            .env_remove("ROS_NAMESPACE")
    }

    fn spawn(&mut self) {
        use std::os::unix::process::CommandExt as _;
        self.starts += 1;
        let log = self.home.path().join(format!("roscore-{}.log", self.starts));
        let out = fs_err::File::create(&log).expect("roscore log");
        let err = out.try_clone().expect("roscore log");
        let mut command = Command::new("/usr/bin/roscore");
        command.args(["-p", &self.port.to_string()]);
        self.env(&mut command)
            .stdout(out.into_parts().0)
            .stderr(err.into_parts().0)
            .process_group(0);
        self.child =
            Some(command.spawn().unwrap_or_else(|e| panic!("starting roscore: {e}; {HINT}")));
        self.wait_ready(&log);
    }

    /// Waits until the master answers `getParam /run_id`.
    fn wait_ready(&self, log: &Path) {
        let started = Instant::now();
        let url: xml_rpc::Url = self.uri().parse().expect("master URI");
        loop {
            let params = vec![
                xml_rpc::Value::String("/it".into()),
                xml_rpc::Value::String("/run_id".into()),
            ];
            if let Ok(Ok(answer)) = xml_rpc::call_value(&url, "getParam", params)
                && matches!(answer.first(), Some(xml_rpc::Value::Array(a)) if a.first() == Some(&xml_rpc::Value::Int(1)))
            {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "roscore did not come up on port {}; its log:\n{}",
                self.port,
                fs_err::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM to roscore (it stops rosmaster and rosout), wait, then SIGKILL whatever is
    /// left of its process group.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = Pid::from_child(&child);
        let _ = kill_process(pid, Signal::TERM);
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = kill_process_group(pid, Signal::KILL);
        let _ = child.wait();
    }

    /// Stops the master (if running) and starts a new one (new `/run_id`) on the same port.
    pub(crate) fn restart(&mut self) {
        self.stop();
        self.spawn();
    }
}

impl Drop for Roscore {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A helper process (a rospy node, rostopic); killed on drop.
pub(crate) struct Proc(pub(crate) Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs a Python script (a rospy node) with `args` against `roscore`.
pub(crate) fn python(roscore: &Roscore, script: &str, args: &[&str]) -> Proc {
    let path = write_script(roscore, script);
    let log = roscore
        .home()
        .join(format!("{}.log", path.file_stem().and_then(|s| s.to_str()).unwrap_or("script")));
    let out = fs_err::File::create(log).expect("script log");
    let mut command = Command::new(PYTHON);
    command.arg(&path).args(args).stdout(Stdio::null()).stderr(out.into_parts().0);
    Proc(roscore.env(&mut command).spawn().expect("spawning /usr/bin/python3"))
}

/// Writes `script` into the roscore's temporary folder under a name derived from its hash.
pub(crate) fn write_script(roscore: &Roscore, script: &str) -> PathBuf {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    script.hash(&mut hasher);
    let path = roscore.home().join(format!("node_{:x}.py", hasher.finish()));
    fs_err::write(&path, script).expect("writing a script");
    path
}

/// `pyros-bridge run --backend ros` against `roscore`, exposing `allow`.
pub(crate) fn ros_bridge(roscore: &Roscore, allow: &[&str]) -> Bridge {
    let dir = tempfile::tempdir().expect("temp dir");
    let socket = dir.path().join("pyros.sock");
    let mut command = Command::new(bridge_exe());
    command.args(["run", "--backend", "ros", "--socket"]).arg(&socket);
    for pattern in allow {
        command.args(["--allow", pattern]);
    }
    let log = fs_err::File::create(roscore.home().join("bridge.log")).expect("bridge log");
    command.env("RUST_LOG", "info").stderr(log.into_parts().0);
    let child = roscore.env(&mut command).spawn().expect("spawning pyros-bridge");
    let started = Instant::now();
    while !socket.exists() {
        assert!(started.elapsed() < Duration::from_secs(10), "bridge did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Bridge { child, socket, _dir: dir }
}
