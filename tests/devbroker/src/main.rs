//! `gazette-devbroker`: runs a dev broker cluster until SIGTERM, SIGINT or
//! the end of standard input, printing one JSON line once ready and taking
//! control commands on standard input (see `--help`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{value_parser, Arg, Command};
use gazette_devbroker::{control, DevBroker, Options, Version, VERSION_TABLE};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn cli() -> Command {
    Command::new("gazette-devbroker")
        .about("A faithful local Gazette broker cluster for tests")
        .long_about(
            "A faithful local Gazette broker cluster for tests.\n\n\
             Once ready it prints one line of JSON on stdout:\n  \
             {\"endpoints\":[\"http://127.0.0.1:PORT\",...],\"store\":\"DIR\"}\n\
             (\"store\" is null without --store). It exits with status 0 on \
             SIGTERM, SIGINT or end of standard input (unless --no-stdin).",
        )
        .arg(
            Arg::new("listen")
                .long("listen")
                .value_name("HOST:PORT")
                .default_value("127.0.0.1:0")
                .value_parser(value_parser!(SocketAddr))
                .help("Address of broker 0; broker i listens on PORT+i (port 0: each picks a free port)"),
        )
        .arg(
            Arg::new("brokers")
                .long("brokers")
                .value_name("N")
                .default_value("1")
                .value_parser(value_parser!(usize))
                .help("Number of brokers, each on its own port, sharing one journal state"),
        )
        .arg(
            Arg::new("store")
                .long("store")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Root directory behind file:/// fragment stores (created if missing); without it fragments stay in memory"),
        )
        .arg(
            Arg::new("min-append-rate")
                .long("min-append-rate")
                .value_name("BYTES_PER_SEC")
                .default_value("65536")
                .value_parser(value_parser!(u64))
                .help("Bytes per second an Append must sustain after 1 s of credit, as Gazette's MinAppendRate (0: no limit)"),
        )
        .arg(
            Arg::new("assign-delay-ms")
                .long("assign-delay-ms")
                .value_name("MILLIS")
                .default_value("100")
                .value_parser(value_parser!(u64))
                .help("How long a new journal (or one whose broker stopped) stays unassigned, as a real broker's allocator (0: at once)"),
        )
        .arg(
            Arg::new("version")
                .long("version")
                .value_name("v0.89|v0.99|current")
                .default_value("current")
                .value_parser(|s: &str| s.parse::<Version>())
                .help("The Gazette broker release to imitate (see the table below)"),
        )
        .arg(
            Arg::new("tls-cert")
                .long("tls-cert")
                .value_name("PEM")
                .value_parser(value_parser!(PathBuf))
                .requires("tls-key")
                .help("Serve TLS (https:// endpoints) with this certificate chain"),
        )
        .arg(
            Arg::new("tls-key")
                .long("tls-key")
                .value_name("PEM")
                .value_parser(value_parser!(PathBuf))
                .requires("tls-cert")
                .help("Private key of --tls-cert"),
        )
        .arg(
            Arg::new("tls-client-ca")
                .long("tls-client-ca")
                .value_name("PEM")
                .value_parser(value_parser!(PathBuf))
                .requires("tls-cert")
                .help("Require client certificates issued by these CAs (mutual TLS)"),
        )
        .arg(
            Arg::new("tls-generate")
                .long("tls-generate")
                .value_name("DIR")
                .value_parser(value_parser!(PathBuf))
                .help("Write a fresh throwaway CA, server and client certificate set into DIR \
                       (ca.pem, server.pem, server-key.pem, client.pem, client-key.pem, and for \
                       failure tests other-ca.pem, rogue-client*.pem, expired*.pem, \
                       wrong-host*.pem) and exit"),
        )
        .arg(
            Arg::new("auth-keys")
                .long("auth-keys")
                .value_name("KEYS")
                .env("GAZETTE_DEVBROKER_AUTH_KEYS")
                .hide_env_values(true)
                .help("Verify JWT authorizations as a broker's --auth-keys: base64 HMAC keys \
                       separated by commas or spaces (AA== also admits requests without a token)"),
        )
        .arg(
            Arg::new("auth-leeway-ms")
                .long("auth-leeway-ms")
                .value_name("MILLIS")
                .default_value("5000")
                .value_parser(value_parser!(u64))
                .help("Clock leeway of token expiry checks (a broker's is 5 s)"),
        )
        .arg(
            Arg::new("no-stdin")
                .long("no-stdin")
                .action(clap::ArgAction::SetTrue)
                .help("Don't read standard input (no control commands; run until SIGTERM or SIGINT)"),
        )
        .after_help(format!("{VERSION_TABLE}\n\n{}", control::COMMANDS))
}

#[tokio::main]
async fn main() {
    let m = cli().get_matches();
    if let Some(dir) = m.get_one::<PathBuf>("tls-generate") {
        let written = gazette_devbroker::CertSet::generate().and_then(|set| set.write_to(dir));
        if let Err(e) = written {
            eprintln!("gazette-devbroker: --tls-generate {}: {e}", dir.display());
            std::process::exit(1);
        }
        return;
    }
    let read = |name: &str| {
        m.get_one::<PathBuf>(name).map(|path| {
            std::fs::read(path).unwrap_or_else(|e| {
                eprintln!("gazette-devbroker: --{name} {}: {e}", path.display());
                std::process::exit(1);
            })
        })
    };
    let tls = read("tls-cert").map(|cert_pem| gazette_devbroker::TlsServer {
        cert_pem,
        key_pem: read("tls-key").unwrap_or_default(),
        client_ca_pem: read("tls-client-ca"),
    });
    let auth = m
        .get_one::<String>("auth-keys")
        .map(|keys| gazette_devbroker::AuthOptions {
            keys: keys.clone(),
            leeway: std::time::Duration::from_millis(*m.get_one::<u64>("auth-leeway-ms").unwrap()),
        });
    let opts = Options {
        tls,
        auth,
        listen: *m.get_one::<SocketAddr>("listen").unwrap(),
        brokers: *m.get_one::<usize>("brokers").unwrap(),
        store: m.get_one::<PathBuf>("store").cloned(),
        min_append_rate: *m.get_one::<u64>("min-append-rate").unwrap(),
        assign_delay: std::time::Duration::from_millis(
            *m.get_one::<u64>("assign-delay-ms").unwrap(),
        ),
        version: *m.get_one::<Version>("version").unwrap(),
    };
    let broker = match DevBroker::start(opts.clone()).await {
        Ok(b) => b,
        Err(e) => {
            eprintln!("gazette-devbroker: {e}");
            std::process::exit(1);
        }
    };
    // Handlers go in before the ready line, so a signal right after it counts.
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
    let endpoints: Vec<String> = broker.endpoints().iter().map(|e| json_string(e)).collect();
    let store = match &opts.store {
        Some(d) => json_string(&d.to_string_lossy()),
        None => "null".to_string(),
    };
    let mut out = tokio::io::stdout();
    let ready = format!(
        "{{\"endpoints\":[{}],\"store\":{store}}}\n",
        endpoints.join(",")
    );
    let _ = out.write_all(ready.as_bytes()).await;
    let _ = out.flush().await;

    let use_stdin = !m.get_flag("no-stdin");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        if !use_stdin {
            tokio::select! {
                _ = term.recv() => break,
                _ = int.recv() => break,
            }
        }
        tokio::select! {
            _ = term.recv() => break,
            _ = int.recv() => break,
            line = lines.next_line() => match line {
                Ok(Some(line)) if line.trim().is_empty() => continue,
                Ok(Some(line)) => {
                    let reply = control::execute(&broker, line.trim()).await + "\n";
                    let _ = out.write_all(reply.as_bytes()).await;
                    let _ = out.flush().await;
                }
                _ => break,
            },
        }
    }
    broker.shutdown().await;
    // The stdin reader may sit in a blocking read; don't wait for it.
    std::process::exit(0);
}
