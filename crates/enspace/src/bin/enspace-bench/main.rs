//! `enspace-bench`: the item path under load, one command (docs/performance.md).
//!
//! Without `--url` it starts this same server on a fresh SQLite data directory; with `--url`
//! and `--key` it targets a running server (PostgreSQL). It creates a type with a dozen fields
//! of mixed kinds, then measures: item creates at 64 connections for 20 s; the load up to
//! `--items` through the bulk route; lists with indexed filters and sorts at that size; a
//! filtered count; gets by reference; the flow measures; "my open quick tasks" at
//! `--quick-tasks`; and the server's resident memory.

mod client;
mod server;

use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use client::{Client, Samples, Target};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(name = "enspace-bench", about = "Benchmarks the item path of an Enspace server")]
struct Args {
    /// A running server (e.g. on PostgreSQL) instead of a fresh embedded one.
    #[arg(long)]
    url: Option<String>,
    /// The API key for `--url` (every scope).
    #[arg(long, env = "ENSPACE_BENCH_KEY")]
    key: Option<String>,
    /// Other processes of the same server (on the same database): the create phase spreads its
    /// connections over `--url` and these, round robin, as a load balancer would. Repeatable.
    #[arg(long)]
    also_url: Vec<String>,
    /// Reuse this workspace (by reference) of an earlier run: its types and items stay, and the
    /// load only tops the type up to `--items`.
    #[arg(long)]
    workspace: Option<String>,
    /// The server's process id with `--url`, to report its memory.
    #[arg(long)]
    pid: Option<u32>,
    /// Items in the type when lists, counts and gets are measured.
    #[arg(long, default_value_t = 1_000_000)]
    items: usize,
    /// Connections of the create phase.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of the create phase.
    #[arg(long, default_value_t = 20)]
    seconds: u64,
    /// Requests of each latency measure (lists, gets).
    #[arg(long, default_value_t = 1000)]
    samples: usize,
    /// Open schedule tasks when the flow lists are measured (0 skips the flow phase).
    #[arg(long, default_value_t = 100_000)]
    open_tasks: usize,
    /// Quick tasks in the workspace when "my open tasks" is measured (0 skips the phase).
    #[arg(long, default_value_t = 100_000)]
    quick_tasks: usize,
}

/// Builds one list query string from the generator.
type QueryMaker = Box<dyn Fn(&mut StdRng) -> String>;

const ESTADOS: [&str; 5] = ["aberto", "em_andamento", "aguardando", "concluido", "cancelado"];
const CLIENTES: usize = 200;

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os();
    let program = args.next();
    let rest: Vec<_> = args.collect();
    // The child process: the real server.
    if rest.first().is_some_and(|a| a == "__server") {
        return enspace::main_with(program.into_iter().chain(rest.into_iter().skip(1)));
    }
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a tokio runtime");
    match runtime.block_on(run(Args::parse())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Report {
    rows: Vec<(String, String)>,
    /// Items in the measured type at the end (the load plus the create phase's).
    items: u64,
}

impl Report {
    fn add(&mut self, measure: impl Into<String>, value: impl Into<String>) {
        let (measure, value) = (measure.into(), value.into());
        eprintln!("  {measure}: {value}");
        self.rows.push((measure, value));
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn run(args: Args) -> anyhow::Result<()> {
    let (server, addr, key, pid, backend) = match &args.url {
        None => {
            let server = server::Server::start().await?;
            let (addr, key, pid) = (server.addr.clone(), server.key.clone(), Some(server.pid()));
            (Some(server), addr, key, pid, "SQLite (embedded)")
        }
        Some(url) => {
            let addr = url.trim_start_matches("http://").trim_end_matches('/').to_string();
            let key = args.key.clone().context("--url needs --key")?;
            (None, addr, key, args.pid, "the server at --url")
        }
    };
    let result = measure(&args, addr, key, pid, backend).await;
    let disk = match server {
        Some(server) => server.stop().await,
        None => None,
    };
    let mut report = result?;
    if let Some(disk) = disk {
        // What the items, their history and their events cost on disk, per 100,000 items (all
        // the type holds: the load's and the create phase's).
        let items = report.items.max(1);
        let per = |bytes: u64| bytes as f64 / (1024.0 * 1024.0) * 100_000.0 / items as f64;
        // The quick-task phase adds its own rows and events to the same database.
        let note = if args.quick_tasks > 0 { " (with the quick-task phase's rows)" } else { "" };
        let rows = [
            (format!("database on disk, per 100,000 items{note}"), disk.total),
            (
                "… of which the event log (item history included)".to_string(),
                disk.total.saturating_sub(disk.without_events),
            ),
        ];
        for (measure, bytes) in rows {
            println!("  {measure}: {:.1} MiB", per(bytes));
            report.rows.push((measure, format!("{:.1} MiB", per(bytes))));
        }
    }
    println!("\n| measure | result |\n|---|---|");
    for (measure, value) in report.rows {
        println!("| {measure} | {value} |");
    }
    Ok(())
}

async fn measure(args: &Args, addr: String, key: String, pid: Option<u32>, backend: &str) -> anyhow::Result<Report> {
    let mut report = Report { rows: Vec::new(), items: 0 };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    report.add("server", format!("{backend}, {cores} cores, load generator on the same machine"));
    let mut target = Target { addr, key, workspace: String::new() };
    let clientes = match &args.workspace {
        Some(reference) => {
            target.workspace = reference.clone();
            let mut admin = Client::connect(&target).await?;
            let found = admin.send("GET", "/ws/types/clientes/items?_limit=1000", None).await?.ok("clientes")?;
            found.as_array().into_iter().flatten().filter_map(|c| c["id"].as_i64()).collect()
        }
        None => {
            let mut admin = Client::connect(&target).await?;
            let name = format!("Bench {}", std::process::id());
            let workspace = admin
                .send("POST", "/workspaces", Some(&json!({ "name": name })))
                .await?
                .ok("creating the workspace")?;
            target.workspace = workspace["reference"].as_str().context("workspace reference")?.to_string();
            let mut admin = Client::connect(&target).await?;
            setup(&mut admin).await?
        }
    };
    eprintln!("workspace {}", target.workspace);
    let mut admin = Client::connect(&target).await?;

    let creates = create_phase(args, &target, "pedidos", &clientes).await?;
    let references = creates.references.clone();
    report.add(format!("item create, {} connections, {} s", args.connections, args.seconds), creates.shown());
    if let Some((now, peak)) = pid.and_then(server::rss_mib) {
        report.add("server RSS after the create phase (now / peak)", format!("{now:.0} MiB / {peak:.0} MiB"));
    }

    let present = admin.send("GET", "/ws/types/pedidos/items/count", None).await?.ok("count")?;
    load(args, &target, &clientes, present.as_u64().unwrap_or_default() as usize).await?;
    let count = admin.send("GET", "/ws/types/pedidos/items/count", None).await?.ok("count")?;
    report.add("items in the type", count.to_string());
    report.items = count.as_u64().unwrap_or_default();

    let mut rng = StdRng::seed_from_u64(7);
    let queries: [(&str, QueryMaker); 2] = [
        (
            "list: `data.estado=<one of 5>`, `_sort=data.total:desc`, `_limit=100`",
            Box::new(|rng: &mut StdRng| {
                format!("data.estado={}&_sort=data.total:desc&_limit=100", ESTADOS[rng.gen_range(0..ESTADOS.len())])
            }),
        ),
        (
            "list: `data.total_gte=<x>`, `_sort=data.total:desc`, `_limit=100`",
            Box::new(|rng: &mut StdRng| {
                format!("data.total_gte={}&_sort=data.total:desc&_limit=100", rng.gen_range(0..9000))
            }),
        ),
    ];
    for (label, query) in &queries {
        let mut samples = Samples::default();
        for _ in 0..args.samples {
            let answer = admin.send("GET", &format!("/ws/types/pedidos/items?{}", query(&mut rng)), None).await?;
            anyhow::ensure!(answer.status == 200, "list: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
            samples.0.push(answer.took);
        }
        report.add(
            label.to_string(),
            format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
        );
    }
    let mut samples = Samples::default();
    for i in 0..100 {
        let path = format!("/ws/types/pedidos/items/count?data.estado={}", ESTADOS[i % ESTADOS.len()]);
        let answer = admin.send("GET", &path, None).await?;
        anyhow::ensure!(answer.status == 200, "count: {}", answer.status);
        samples.0.push(answer.took);
    }
    report.add(
        "count: `data.estado=<one of 5>` (~1/5 of the items)",
        format!("p50 {}, max {}", ms(samples.percentile(50.0)), ms(samples.percentile(100.0))),
    );
    let mut samples = Samples::default();
    for i in 0..args.samples {
        let reference = &references[i % references.len().max(1)];
        let answer = admin.send("GET", &format!("/ws/types/pedidos/items/{reference}"), None).await?;
        anyhow::ensure!(answer.status == 200, "get: {}", answer.status);
        samples.0.push(answer.took);
    }
    report
        .add("get by reference", format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))));
    if args.open_tasks > 0 {
        flow_phase(args, &target, &clientes, &mut report).await?;
    }
    if args.quick_tasks > 0 {
        quick_task_phase(args, &target, &mut report).await?;
    }
    if let Some((now, peak)) = pid.and_then(server::rss_mib) {
        report.add("server RSS at the end (now / peak of the whole run)", format!("{now:.0} MiB / {peak:.0} MiB"));
    }
    Ok(report)
}

/// `clientes` with a name and 200 items; `pedidos` with twelve fields, two of them indexed.
async fn setup(admin: &mut Client) -> anyhow::Result<Vec<i64>> {
    admin.send("POST", "/ws/types", Some(&json!({ "name": "Clientes" }))).await?.ok("type clientes")?;
    admin
        .send("POST", "/ws/types/clientes/fields", Some(&json!({ "name": "Nome", "slug": "nome", "type": "text" })))
        .await?
        .ok("field nome")?;
    let create: Vec<Value> = (0..CLIENTES).map(|i| json!({ "data": { "nome": format!("Cliente {i}") } })).collect();
    let made = admin
        .send("POST", "/ws/types/clientes/items/bulk", Some(&json!({ "create": create })))
        .await?
        .ok("clientes")?;
    let clientes: Vec<i64> = made["create"].as_array().into_iter().flatten().filter_map(|c| c["id"].as_i64()).collect();
    admin.send("POST", "/ws/types", Some(&json!({ "name": "Pedidos" }))).await?.ok("type pedidos")?;
    for field in item_fields() {
        admin.send("POST", "/ws/types/pedidos/fields", Some(&field)).await?.ok("field")?;
    }
    Ok(clientes)
}

/// The twelve fields of `pedidos` (and of `chamados`, its twin with a flow).
fn item_fields() -> [Value; 12] {
    [
        json!({ "name": "Título", "slug": "titulo", "type": "text", "required": true }),
        json!({ "name": "Descrição", "slug": "descricao", "type": "text" }),
        json!({ "name": "Quantidade", "slug": "quantidade", "type": "number", "config": { "integer": true, "min": 1 } }),
        json!({ "name": "Valor", "slug": "valor", "type": "EnCurrency" }),
        json!({ "name": "Total", "slug": "total", "type": "number", "indexed": true }),
        json!({ "name": "Estado", "slug": "estado", "type": "select", "options": ESTADOS, "indexed": true }),
        json!({ "name": "Prioridade", "slug": "prioridade", "type": "select", "options": ["baixa", "media", "alta"] }),
        json!({ "name": "Prazo", "slug": "prazo", "type": "date", "config": { "date_only": true } }),
        json!({ "name": "Cliente", "slug": "cliente", "type": "EnRel", "config": { "rel": { "collection": "clientes", "displayString": "nome" } } }),
        json!({ "name": "Email", "slug": "email", "type": "email" }),
        json!({ "name": "Tags", "slug": "tags", "type": "EnlChips" }),
        json!({ "name": "Urgente", "slug": "urgente", "type": "boolean" }),
    ]
}

fn item(rng: &mut StdRng, clientes: &[i64]) -> Value {
    let n: u32 = rng.gen();
    let valor = rng.gen_range(100..1_000_000) as f64 / 100.0;
    let prioridade = ["baixa", "media", "alta"][rng.gen_range(0..3)];
    json!({
        "titulo": format!("Pedido {n:08x}"),
        "descricao": "Entrega em duas etapas, conferir a nota antes de faturar.",
        "quantidade": rng.gen_range(1..50),
        "valor": { "currency": "BRL", "value": valor },
        "total": rng.gen_range(0..10_000),
        "estado": ESTADOS[rng.gen_range(0..ESTADOS.len())],
        "prioridade": prioridade,
        "prazo": format!("2026-{:02}-{:02}", rng.gen_range(1..13), rng.gen_range(1..29)),
        "cliente": clientes[rng.gen_range(0..clientes.len())],
        "email": format!("cliente{}@example.com", n % 1000),
        "tags": ["b2b", "sul"],
        "urgente": n.is_multiple_of(7),
    })
}

/// What a create phase measured.
#[derive(Clone)]
struct Creates {
    rate: f64,
    p50: Duration,
    p99: Duration,
    failures: usize,
    /// Up to 200 references per connection.
    references: Vec<String>,
}

impl Creates {
    fn shown(&self) -> String {
        format!(
            "{:.0}/s, p50 {}, p99 {}{}",
            self.rate,
            ms(self.p50),
            ms(self.p99),
            if self.failures > 0 { format!(", {} failed", self.failures) } else { String::new() }
        )
    }
}

/// Item creates on type `slug` at `--connections` for `--seconds`.
async fn create_phase(args: &Args, target: &Target, slug: &str, clientes: &[i64]) -> anyhow::Result<Creates> {
    eprintln!("creates on {slug}: {} connections for {} s", args.connections, args.seconds);
    let path = format!("/ws/types/{slug}/items");
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    let addrs: Vec<String> = std::iter::once(target.addr.clone())
        .chain(args.also_url.iter().map(|u| u.trim_start_matches("http://").trim_end_matches('/').to_string()))
        .collect();
    for worker in 0..args.connections {
        let (mut target, clientes, path) = (target.clone(), clientes.to_vec(), path.clone());
        target.addr = addrs[worker % addrs.len()].clone();
        workers.push(tokio::spawn(async move {
            let mut client = Client::connect(&target).await?;
            let mut rng = StdRng::seed_from_u64(worker as u64);
            let (mut samples, mut references, mut failures) = (Samples::default(), Vec::new(), 0usize);
            while Instant::now() < deadline {
                let body = json!({ "data": item(&mut rng, &clientes) });
                let answer = client.send("POST", &path, Some(&body)).await?;
                samples.0.push(answer.took);
                if answer.status == 201 {
                    if references.len() < 200 {
                        references.push(answer.json()?["reference"].as_str().unwrap_or_default().to_string());
                    }
                } else {
                    failures += 1;
                    if failures == 1 {
                        eprintln!("  a create failed: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
                    }
                }
            }
            anyhow::Ok((samples, references, failures))
        }));
    }
    let started = Instant::now();
    let (mut samples, mut references, mut failures) = (Samples::default(), Vec::new(), 0);
    for worker in workers {
        let (s, r, f) = worker.await??;
        samples.extend(s);
        references.extend(r);
        failures += f;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let created = samples.0.len() - failures;
    Ok(Creates {
        rate: created as f64 / elapsed,
        p50: samples.percentile(50.0),
        p99: samples.percentile(99.0),
        failures,
        references,
    })
}

/// The flow measures (issue 15's bar): `chamados`, the twin of `pedidos` with an active flow
/// (two stages; the start stage has two tasks, its closing task leads to the second stage);
/// creates on it beside creates on `pedidos` measured just before; `in-charge` at
/// `--open-tasks` open tasks; and completing a closing task, which ends the stage and starts
/// the next one.
async fn flow_phase(args: &Args, target: &Target, clientes: &[i64], report: &mut Report) -> anyhow::Result<()> {
    let mut admin = Client::connect(target).await?;
    let exists = admin.send("GET", "/ws/types/chamados", None).await?;
    if exists.status == 404 {
        admin.send("POST", "/ws/types", Some(&json!({ "name": "Chamados" }))).await?.ok("type chamados")?;
        for field in item_fields() {
            admin.send("POST", "/ws/types/chamados/fields", Some(&field)).await?.ok("field")?;
        }
        let flow = json!({ "name": "Atendimento", "item_type": "chamados" });
        let flow = admin.send("POST", "/c-type-flows", Some(&flow)).await?.ok("flow")?;
        let mut stages = Vec::new();
        for name in ["Triagem", "Execução"] {
            let stage = json!({ "flow": flow["id"], "name": name });
            stages.push(admin.send("POST", "/c-flow-stages", Some(&stage)).await?.ok("stage")?["id"].clone());
        }
        let transition = json!({ "flow": flow["id"], "from": stages[0], "to": stages[1] });
        admin.send("POST", "/c-flow-transitions", Some(&transition)).await?.ok("transition")?;
        for (stage, name, action) in [
            (&stages[0], "Conferir", "confirmation"),
            (&stages[0], "Encaminhar", "close_stage"),
            (&stages[1], "Executar", "close_flow"),
        ] {
            let task = json!({ "stage": stage, "name": name, "action": action, "sla": 8, "sla_type": "workHours" });
            admin.send("POST", "/c-stage-tasks", Some(&task)).await?.ok("stage task")?;
        }
    }
    // "The same without a flow" at the same size: the database grew since the first create
    // phase (the load, its events), and a larger one writes slower, so the twin without a flow
    // is measured again right before.
    let without = create_phase(args, target, "pedidos", clientes).await?;
    report.add("item create without a flow, again at this size", without.shown());
    let with = create_phase(args, target, "chamados", clientes).await?;
    report.add(format!("item create on a type with an active flow, {} connections", args.connections), with.shown());
    report.add("… with the flow, as a share of without", format!("{:.0}%", 100.0 * with.rate / without.rate.max(1.0)));

    let open = "/c-flow-item-tasks/count?work_status_in=waiting&work_status_in=working";
    let present = admin.send("GET", open, None).await?.ok("open tasks")?.as_u64().unwrap_or_default() as usize;
    // Each item opens two tasks.
    load_into(target, "chamados", clientes, args.open_tasks.saturating_sub(present).div_ceil(2)).await?;
    let open_now = admin.send("GET", open, None).await?.ok("open tasks")?;
    report.add("open schedule tasks", open_now.to_string());
    let mut samples = Samples::default();
    for i in 0..args.samples {
        let path = format!("/c-flow-item-tasks/in-charge?_limit=100&_start={}", (i % 10) * 100);
        let answer = admin.send("GET", &path, None).await?;
        anyhow::ensure!(answer.status == 200, "in-charge: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
        samples.0.push(answer.took);
    }
    report.add(
        "`/c-flow-item-tasks/in-charge?_limit=100`",
        format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
    );
    // The other end: a member in charge of none of them (a viewer is never a responsible, and
    // `everybody` means those who may update the type's items).
    let mut viewer =
        Client::connect(&Target { key: member_session(&mut admin, "viewer").await?.0, ..target.clone() }).await?;
    let mut samples = Samples::default();
    for _ in 0..args.samples {
        let answer = viewer.send("GET", "/c-flow-item-tasks/in-charge?_limit=100", None).await?;
        anyhow::ensure!(answer.status == 200 && &answer.body[..] == b"[]", "in-charge of a viewer: {}", answer.status);
        samples.0.push(answer.took);
    }
    report.add(
        "`…/in-charge?_limit=100` for a member in charge of none",
        format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
    );
    let closers = format!(
        "/c-flow-item-tasks?task_action_slug=close_stage&work_status=waiting&_sort=id:desc&_limit={}",
        args.samples.min(1000)
    );
    let closers = admin.send("GET", &closers, None).await?.ok("closing tasks")?;
    let mut samples = Samples::default();
    for task in closers.as_array().into_iter().flatten() {
        let answer = admin.send("PUT", &format!("/c-flow-item-tasks/{}/complete", task["id"]), None).await?;
        anyhow::ensure!(answer.status == 200, "complete: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
        samples.0.push(answer.took);
    }
    report.add(
        format!("complete a task that advances the stage ({} tasks)", samples.0.len()),
        format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
    );
    Ok(())
}

const QUICK_STATUSES: [&str; 4] = ["pending", "working", "blocked", "completed"];
const ASSIGNEES: usize = 20;

/// The quick-task measures (issue 16's bar): quick tasks created at 8 connections up to
/// `--quick-tasks`, spread over 20 members with every status, a fifth with a due date; then
/// "my open tasks" — `assigned_to=<id>&status_in=pending&status_in=working&_limit=100` — as the
/// owner (who reads every task) and as a member without `tasks::quick::read` asking for its
/// own (5,000 of them, made for it each run), who sees only the tasks naming it.
async fn quick_task_phase(args: &Args, target: &Target, report: &mut Report) -> anyhow::Result<()> {
    let mut admin = Client::connect(target).await?;
    let mut assignees = Vec::new();
    for i in 0..ASSIGNEES {
        let email = format!("assignee-{i}@bench.example");
        let found = admin.send("GET", &format!("/ws/members?email={email}"), None).await?.ok("members")?;
        let member = match found.as_array().and_then(|l| l.first()) {
            Some(member) => member.clone(),
            None => {
                let invited = json!({ "email": email, "type": "standard" });
                admin.send("POST", "/ws/members", Some(&invited)).await?.ok("inviting an assignee")?
            }
        };
        assignees.push(member["user"]["id"].as_i64().context("the member's user id")?);
    }
    let present = admin.send("GET", "/ws/tasks/count", None).await?.ok("quick tasks")?;
    let missing = args.quick_tasks.saturating_sub(present.as_u64().unwrap_or_default() as usize);
    if missing > 0 {
        eprintln!("creating {missing} quick tasks at 8 connections");
        let started = Instant::now();
        let mut samples = create_quick_tasks(target, missing, &assignees).await?;
        let rate = samples.0.len() as f64 / started.elapsed().as_secs_f64();
        report.add(
            "quick task create, 8 connections",
            format!("{rate:.0}/s, p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
        );
    }
    let (session, me) = member_session(&mut admin, "standard").await?;
    create_quick_tasks(target, 5_000, &[me]).await?;
    let total = admin.send("GET", "/ws/tasks/count", None).await?.ok("quick tasks")?;
    report.add("quick tasks (not archived or trashed)", total.to_string());
    let mut samples = Samples::default();
    for i in 0..args.samples {
        let path = format!(
            "/ws/tasks?assigned_to={}&status_in=pending&status_in=working&_limit=100",
            assignees[i % assignees.len()]
        );
        let answer = admin.send("GET", &path, None).await?;
        anyhow::ensure!(answer.status == 200, "my tasks: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
        samples.0.push(answer.took);
    }
    report.add(
        "`/ws/tasks?assigned_to=<id>&status_in=pending&status_in=working&_limit=100`, owner",
        format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
    );
    let mut member = Client::connect(&Target { key: session, ..target.clone() }).await?;
    let mut samples = Samples::default();
    let path = format!("/ws/tasks?assigned_to={me}&status_in=pending&status_in=working&_limit=100");
    for _ in 0..args.samples {
        let answer = member.send("GET", &path, None).await?;
        anyhow::ensure!(answer.status == 200, "my tasks: {} {}", answer.status, String::from_utf8_lossy(&answer.body));
        samples.0.push(answer.took);
    }
    report.add(
        "… the same for a member without `tasks::quick::read` (5,000 tasks its own)",
        format!("p50 {}, p99 {}", ms(samples.percentile(50.0)), ms(samples.percentile(99.0))),
    );
    Ok(())
}

/// Creates `n` quick tasks at 8 connections, assigned at random among `assignees`, with every
/// status and priority, a fifth with a due date; answers each create's latency.
async fn create_quick_tasks(target: &Target, n: usize, assignees: &[i64]) -> anyhow::Result<Samples> {
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..8u64 {
        let (target, next, assignees) = (target.clone(), next.clone(), assignees.to_vec());
        workers.push(tokio::spawn(async move {
            let mut client = Client::connect(&target).await?;
            let mut rng = StdRng::seed_from_u64(2000 + worker);
            let mut samples = Samples::default();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                let priority = ["low", "normal", "high", "urgent"][rng.gen_range(0..4)];
                let mut task = json!({
                    "name": format!("Tarefa {}", rng.gen_range(0..1_000_000)),
                    "status": QUICK_STATUSES[rng.gen_range(0..4)],
                    "priority": priority,
                    "assigned_to": assignees[rng.gen_range(0..assignees.len())],
                });
                if rng.gen_range(0..5) == 0 {
                    task["due_date"] =
                        json!(format!("2027-0{}-1{}T12:00:00Z", rng.gen_range(1..10), rng.gen_range(0..10)));
                }
                let answer = client.send("POST", "/ws/tasks", Some(&task)).await?;
                anyhow::ensure!(
                    answer.status == 201,
                    "quick task: {} {}",
                    answer.status,
                    String::from_utf8_lossy(&answer.body)
                );
                samples.0.push(answer.took);
            }
            anyhow::Ok(samples)
        }));
    }
    let mut samples = Samples::default();
    for worker in workers {
        samples.extend(worker.await??);
    }
    Ok(samples)
}

/// Invites a member of `member_type` (a new address each run), accepts the invitation and
/// answers its session token (which the API takes in `x-api-key` like a key) and user id.
async fn member_session(admin: &mut Client, member_type: &str) -> anyhow::Result<(String, i64)> {
    let email = format!("{member_type}-{}@bench.example", std::process::id());
    let invited = json!({ "email": email, "type": member_type });
    let invited = admin.send("POST", "/ws/members", Some(&invited)).await?.ok("inviting a member")?;
    let user_id = invited["user"]["id"].as_i64().context("the member's user id")?;
    let url = invited["invitation_url"].as_str().context("an invitation URL (no email integration)")?;
    let token = url.split_once("token=").context("the invitation's token")?.1;
    let accept = json!({ "token": token, "password": "bench-member-password-1" });
    let session = admin.send("POST", "/auth/accept-invite", Some(&accept)).await?.ok("accepting")?;
    Ok((session["token"].as_str().context("a session token")?.to_string(), user_id))
}

/// Fills the type up to `args.items` through the bulk route (500 per request, 4 connections).
async fn load(args: &Args, target: &Target, clientes: &[i64], present: usize) -> anyhow::Result<()> {
    load_into(target, "pedidos", clientes, args.items.saturating_sub(present)).await
}

/// Adds `missing` items to type `slug` through the bulk route (500 per request, 4 connections).
async fn load_into(target: &Target, slug: &'static str, clientes: &[i64], missing: usize) -> anyhow::Result<()> {
    if missing == 0 {
        return Ok(());
    }
    eprintln!("loading {missing} more items through the bulk route");
    let started = Instant::now();
    let batches = missing.div_ceil(500);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut workers = Vec::new();
    for worker in 0..4 {
        let (target, clientes, next) = (target.clone(), clientes.to_vec(), next.clone());
        workers.push(tokio::spawn(async move {
            let mut client = Client::connect(&target).await?;
            let mut rng = StdRng::seed_from_u64(1000 + worker);
            loop {
                let batch = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if batch >= batches {
                    return anyhow::Ok(());
                }
                let size = 500.min(missing - batch * 500);
                let create: Vec<Value> = (0..size).map(|_| json!({ "data": item(&mut rng, &clientes) })).collect();
                client
                    .send("POST", &format!("/ws/types/{slug}/items/bulk"), Some(&json!({ "create": create })))
                    .await?
                    .ok("bulk")?;
                if batch % 200 == 199 {
                    eprintln!("  {} items in {:.0} s", (batch + 1) * 500, started.elapsed().as_secs_f64());
                }
            }
        }));
    }
    for worker in workers {
        worker.await??;
    }
    eprintln!("  loaded {missing} items in {:.0} s", started.elapsed().as_secs_f64());
    Ok(())
}
