//! How long a backup and a restore of a database of about 100 MB take: `cargo bench --bench
//! backup` (NMMM_BENCH_MB sets the size). The same machine as the restore drill's
//! (tests/support/machine.rs): Debian's PostgreSQL and restic, the template service, the tool's
//! `backup --now` and `restore --yes`, timed whole.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::Instant;

use support::machine::{Machine, NAME};

fn main() {
    let megabytes: u64 =
        std::env::var("NMMM_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(100);
    let machine = Machine::new("bench");
    machine.start(NAME);
    machine.add_note("created by the bench");
    // Rows of about 1 KiB of hexadecimal text: half of it compresses, as real data often does.
    let rows = megabytes * 1024;
    let fill = Instant::now();
    machine.postgres.query(
        NAME,
        &format!(
            "INSERT INTO notes (body) SELECT string_agg(md5(random()::text), '') \
             FROM generate_series(1, {rows}) AS r, generate_series(1, 32) AS c GROUP BY r"
        ),
    );
    let size = machine.postgres.query(NAME, "SELECT pg_database_size(current_database())");
    let size: u64 = size.trim().parse().expect("a size");
    println!(
        "database: {:.1} MiB ({rows} rows), filled in {:.1} s",
        size as f64 / 1048576.0,
        fill.elapsed().as_secs_f64()
    );

    let backup = Instant::now();
    machine.xtask_ok(&["backup", "--now"]);
    let backup = backup.elapsed();
    let dump = machine.root().join("var/backup/nmmm/hello.pgdump");
    let dump = std::fs::metadata(dump).expect("the dump").len();
    println!(
        "backup --now: {:.1} s (dump {:.1} MiB)",
        backup.as_secs_f64(),
        dump as f64 / 1048576.0
    );

    let restore = Instant::now();
    machine.xtask_ok(&["restore", NAME, "--yes"]);
    let restore = restore.elapsed();
    println!("restore --yes: {:.1} s (health check included)", restore.as_secs_f64());
    let count = machine.postgres.query(NAME, "SELECT count(*) FROM notes");
    assert_eq!(count.trim(), (rows + 1).to_string(), "the restore brought every row back");
}
