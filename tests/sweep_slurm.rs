//! A sweep through a real single-node Slurm cluster: this test starts `munged`, `slurmctld`
//! and `slurmd` as root on localhost (private socket, ports, state and pid files under
//! `target/tmp`; `proctrack/linuxproc`, `task/none`, `select/cons_tres`, one node with the
//! machine's CPUs and memory as `slurmd -C` reports them), submits the `--emit slurm` script
//! with `sbatch --wait`, merges the shards and compares them byte for byte with a local run.
//! The daemons are stopped by their pid files, never by name.
//!
//! Needs root and Debian's `slurm-wlm` and `munge` (`.ci/run` installs them). Without them
//! the test fails when `CI` is set and is skipped with a notice otherwise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_iommu-sim");
const TOOLS: [&str; 6] = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo", "scancel"];

fn which(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).stdout(Stdio::null()).status().is_ok_and(|s| s.success())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether the test can run; panics in CI when it cannot.
fn slurm_available() -> bool {
    let missing: Vec<&str> = TOOLS.iter().copied().filter(|t| !which(t)).collect();
    let problem = if !missing.is_empty() {
        Some(format!("missing {} (apt-get install -y slurm-wlm munge)", missing.join(", ")))
    } else if !is_root() {
        Some("not running as root (the test starts slurmctld/slurmd/munged)".to_string())
    } else {
        None
    };
    match problem {
        None => true,
        Some(p) if std::env::var_os("CI").is_some() => panic!("the Slurm sweep test cannot run in CI: {p}"),
        Some(p) => {
            eprintln!("notice: skipping the Slurm sweep test: {p}");
            false
        }
    }
}

/// The daemons of one private cluster; stopped (by pid file) when dropped, even on panic.
struct Cluster {
    dir: PathBuf,
    conf: PathBuf,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let _ = std::fs::remove_dir_all(dir);
        for sub in ["state", "spool", "shards"] {
            std::fs::create_dir_all(dir.join(sub)).expect("cluster dirs");
        }
        let cluster = Cluster { dir: dir.to_path_buf(), conf: dir.join("slurm.conf") };
        // munged insists on private directories and key.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let key = dir.join("munge.key");
        std::fs::write(&key, (0..1024u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect::<Vec<u8>>()).expect("key");
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).expect("chmod key");
        let d = dir.display();
        run(Command::new("munged").args([
            "--force",
            &format!("--socket={d}/munge.socket"),
            &format!("--pid-file={d}/munged.pid"),
            &format!("--log-file={d}/munged.log"),
            &format!("--seed-file={d}/munged.seed"),
            &format!("--key-file={d}/munge.key"),
        ]));

        // One node: this machine, as slurmd sees it ("NodeName=vm CPUs=2 ... RealMemory=...").
        let node = String::from_utf8(Command::new("slurmd").arg("-C").output().expect("slurmd -C").stdout).expect("utf8");
        let node = node.lines().next().unwrap_or_default().to_string();
        let host = node.split_whitespace().next().and_then(|w| w.strip_prefix("NodeName=")).expect("slurmd -C names the node").to_string();
        let port = 17000 + (std::process::id() % 500) * 2;
        let conf = format!(
            "ClusterName=iommusim\nSlurmctldHost={host}\nSlurmUser=root\nSlurmdUser=root\nSlurmctldPort={port}\nSlurmdPort={}\n\
AuthType=auth/munge\nAuthInfo=socket={d}/munge.socket\nCredType=cred/munge\nStateSaveLocation={d}/state\nSlurmdSpoolDir={d}/spool\n\
SlurmctldPidFile={d}/slurmctld.pid\nSlurmdPidFile={d}/slurmd.pid\nSlurmctldLogFile={d}/slurmctld.log\nSlurmdLogFile={d}/slurmd.log\n\
ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\nSelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n\
SchedulerType=sched/backfill\nJobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n\
JobCompType=jobcomp/none\nMpiDefault=none\nReturnToService=2\nMessageTimeout=20\n\
{node} NodeAddr=127.0.0.1 State=UNKNOWN\nPartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n",
            port + 1
        );
        std::fs::write(&cluster.conf, conf).expect("slurm.conf");
        run(cluster.cmd("slurmctld").arg("-f").arg(&cluster.conf));
        run(cluster.cmd("slurmd").arg("-f").arg(&cluster.conf));
        let start = Instant::now();
        loop {
            let out = cluster.cmd("sinfo").args(["-h", "-o", "%T"]).output().expect("sinfo");
            if String::from_utf8_lossy(&out.stdout).contains("idle") {
                break;
            }
            assert!(start.elapsed() < Duration::from_secs(60), "the Slurm node never became idle:\n{}", cluster.logs());
            std::thread::sleep(Duration::from_millis(250));
        }
        cluster
    }

    fn cmd(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("SLURM_CONF", &self.conf).current_dir(&self.dir);
        c
    }

    fn logs(&self) -> String {
        ["slurmctld.log", "slurmd.log", "munged.log"]
            .iter()
            .map(|f| format!("--- {f}\n{}", std::fs::read_to_string(self.dir.join(f)).unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for name in ["slurmd.pid", "slurmctld.pid", "munged.pid"] {
            let Some(pid) = std::fs::read_to_string(self.dir.join(name)).ok().and_then(|p| p.trim().parse::<u32>().ok()) else { continue };
            let alive = || Path::new(&format!("/proc/{pid}")).exists();
            let _ = Command::new("kill").arg(pid.to_string()).status();
            let start = Instant::now();
            while alive() && start.elapsed() < Duration::from_secs(15) {
                std::thread::sleep(Duration::from_millis(100));
            }
            if alive() {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(out.status.success(), "{cmd:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[test]
fn a_sweep_through_a_real_slurm_array_merges_into_the_local_bytes() {
    if !slurm_available() {
        return;
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep_slurm");
    let sweep = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sweep/small.ron");
    let sweep = sweep.to_str().expect("utf8 path");
    let cluster = Cluster::start(&dir);

    let shards = dir.join("shards");
    let script = Command::new(BIN)
        .args(["sweep", sweep, "--emit", "slurm", "--shards", "3", "--throttle", "2", "--cpus-per-task", "1", "--out-dir"])
        .arg(&shards)
        .output()
        .expect("emit");
    assert!(script.status.success(), "{}", String::from_utf8_lossy(&script.stderr));
    std::fs::write(dir.join("job.sh"), &script.stdout).expect("job.sh");

    let mut sbatch =
        cluster.cmd("sbatch").args(["--wait", "job.sh"]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("sbatch");
    let start = Instant::now();
    while sbatch.try_wait().expect("wait sbatch").is_none() {
        if start.elapsed() > Duration::from_secs(100) {
            let _ = cluster.cmd("scancel").args(["--name", "iommu-sim-small"]).status();
            let _ = sbatch.kill();
            let _ = sbatch.wait();
            panic!("sbatch --wait did not return in 100 s:\n{}", cluster.logs());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let out = sbatch.wait_with_output().expect("sbatch output");
    let task_logs: String = (1..=3)
        .map(|i| std::fs::read_to_string(shards.join(format!("slurm-{}_{i}.out", job_id(&out.stdout)))).unwrap_or_default())
        .collect();
    assert!(out.status.success(), "sbatch --wait failed: {}\n{task_logs}\n{}", String::from_utf8_lossy(&out.stderr), cluster.logs());
    assert_eq!(task_logs.matches("12 item(s) run").count(), 3, "each array task ran its shard (from the Slurm variables):\n{task_logs}");

    let merge = Command::new(BIN)
        .current_dir(&dir)
        .args(["merge", "shards/shard-1.jsonl", "shards/shard-2.jsonl", "shards/shard-3.jsonl", "-o", "slurm.jsonl"])
        .output()
        .expect("merge");
    assert!(merge.status.success(), "{}", String::from_utf8_lossy(&merge.stderr));
    let local = Command::new(BIN).current_dir(&dir).args(["sweep", sweep, "-q", "-o", "local.jsonl"]).output().expect("local");
    assert!(local.status.success(), "{}", String::from_utf8_lossy(&local.stderr));
    let (a, b) = (std::fs::read(dir.join("slurm.jsonl")).expect("merged"), std::fs::read(dir.join("local.jsonl")).expect("local"));
    assert!(a == b, "the Slurm run merged differs from the local run");
    drop(cluster);
}

/// "Submitted batch job 12" → "12".
fn job_id(stdout: &[u8]) -> String {
    String::from_utf8_lossy(stdout).split_whitespace().last().unwrap_or_default().to_string()
}
