//! The server under test: this same executable re-run as `enspace serve` on a fresh SQLite data
//! directory, so the benchmark measures the real binary's code path, in its own process.

use std::{
    io::{BufRead, BufReader},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};

use anyhow::{anyhow, Context};

pub struct Server {
    child: Child,
    pub addr: String,
    pub key: String,
    data_dir: PathBuf,
}

impl Server {
    pub async fn start() -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let addr = format!("127.0.0.1:{port}");
        let data_dir = std::env::temp_dir().join(format!("enspace-bench-{}-{port}", std::process::id()));
        let mut child = Command::new(std::env::current_exe()?)
            .args(["__server", "serve", "--addr", &addr, "--log"])
            .arg(std::env::var("ENSPACE_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()))
            .arg("--data-dir")
            .arg(&data_dir)
            // The load generator is one client with many connections: rate limits would measure
            // themselves, not the server.
            .args(["--rate-limit-per-second", "100000000", "--rate-limit-burst", "100000000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .context("starting the server")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        // The first run prints the administrator's key once; it is the benchmark's key.
        let key = tokio::task::spawn_blocking(move || {
            let mut lines = BufReader::new(stdout).lines();
            let key = lines.by_ref().map_while(Result::ok).map(|l| l.trim().to_string()).find(|l| l.starts_with("en."));
            // The rest is read and dropped: a closed pipe would make the server's next line a
            // broken-pipe panic.
            std::thread::spawn(move || lines.for_each(drop));
            key
        })
        .await?
        .ok_or_else(|| anyhow!("the server did not print its first-run key"))?;
        for _ in 0..200 {
            if tokio::net::TcpStream::connect(&addr).await.is_ok() {
                return Ok(Server { child, addr, key, data_dir });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(anyhow!("the server did not start listening on {addr}"))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Stops the server gracefully (its database checkpointed into the main file) and answers
    /// what its data costs on disk: the whole database, then without the event log (item
    /// history), each after a VACUUM. The data directory is removed afterwards.
    pub async fn stop(mut self) -> Option<DiskUse> {
        let terminated = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        if !terminated.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
        let measured = disk_use(&self.data_dir.join("enspace.db")).await;
        if let Err(error) = &measured {
            eprintln!("could not measure the database: {error:#}");
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        measured.ok()
    }
}

/// Bytes on disk of the whole database, and without its event log (which holds item history).
pub struct DiskUse {
    pub total: u64,
    pub without_events: u64,
}

async fn disk_use(file: &std::path::Path) -> anyhow::Result<DiskUse> {
    let size = |path: &std::path::Path| std::fs::metadata(path).map(|m| m.len());
    let db = enspace_store::Db::connect(&enspace_store::DbOptions {
        url: format!("sqlite://{}", file.display()),
        max_connections: 1,
    })
    .await?;
    // Each size after a VACUUM, so free pages count in none of them.
    db.execute_outside_transaction("VACUUM").await?;
    let total = size(file)?;
    db.execute_outside_transaction("DROP TABLE events").await?;
    db.execute_outside_transaction("VACUUM").await?;
    let without_events = size(file)?;
    db.close().await;
    Ok(DiskUse { total, without_events })
}

/// The process's resident set now and at its peak (`VmRSS`, `VmHWM` of /proc), in MiB.
pub fn rss_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}
