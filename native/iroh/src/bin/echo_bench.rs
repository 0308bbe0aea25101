//! The ceiling for bench/transport: the same iroh as the binding, driven from
//! Rust alone. A server endpoint echoes one Blixard-shaped frame per bi stream
//! (24-byte header, u32 BE payload length at byte 2); a client endpoint in the
//! same process measures sequential and concurrency-64 small calls and 1 MiB
//! echoes over loopback, and prints one JSON line.
//!
//!   iroh-echo-bench [--quick]

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use iroh::endpoint::{self, presets, presets::Preset as _};

const ALPN: &[u8] = b"blixard/bench-echo/1";
const HEADER: usize = 24;
const MIB: usize = 1 << 20;

fn frame(payload_len: usize) -> Vec<u8> {
    let mut f = vec![0u8; HEADER + payload_len];
    f[0] = 1;
    f[1] = 1;
    f[2..6].copy_from_slice(&(payload_len as u32).to_be_bytes());
    f
}

async fn read_frame(recv: &mut endpoint::RecvStream) -> anyhow::Result<Vec<u8>> {
    let mut header = [0u8; HEADER];
    recv.read_exact(&mut header).await?;
    let len = u32::from_be_bytes([header[2], header[3], header[4], header[5]]) as usize;
    let mut out = Vec::with_capacity(HEADER + len);
    out.extend_from_slice(&header);
    out.resize(HEADER + len, 0);
    recv.read_exact(&mut out[HEADER..]).await?;
    Ok(out)
}

async fn bind() -> anyhow::Result<endpoint::Endpoint> {
    let addr: SocketAddr = "127.0.0.1:0".parse()?;
    let ep = presets::Minimal
        .apply(endpoint::Builder::empty())
        .relay_mode(iroh::RelayMode::Disabled)
        .alpns(vec![ALPN.to_vec()])
        .bind_addr(addr)?
        .bind()
        .await?;
    Ok(ep)
}

async fn serve(ep: endpoint::Endpoint) {
    while let Some(incoming) = ep.accept().await {
        tokio::spawn(async move {
            let Ok(accepting) = incoming.accept() else {
                return;
            };
            let Ok(conn) = accepting.await else { return };
            while let Ok((mut send, mut recv)) = conn.accept_bi().await {
                tokio::spawn(async move {
                    if let Ok(f) = read_frame(&mut recv).await {
                        let _ = send.write_all(&f).await;
                        let _ = send.finish();
                    }
                });
            }
        });
    }
}

async fn call(conn: &endpoint::Connection, request: &[u8]) -> anyhow::Result<usize> {
    let (mut send, mut recv) = conn.open_bi().await?;
    send.write_all(request).await?;
    send.finish()?;
    Ok(read_frame(&mut recv).await?.len())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Load {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn run(
    conn: &endpoint::Connection,
    request: Arc<Vec<u8>>,
    concurrency: usize,
    count: usize,
) -> anyhow::Result<Load> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    let per = count / concurrency;
    for _ in 0..concurrency {
        let conn = conn.clone();
        let request = request.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::with_capacity(per);
            for _ in 0..per {
                let t = Instant::now();
                call(&conn, &request).await?;
                lat.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(lat)
        }));
    }
    let mut all = Vec::with_capacity(count);
    for t in tasks {
        all.extend(t.await??);
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap());
    Ok(Load {
        per_second: all.len() as f64 / secs,
        p50_ms: percentile(&all, 50.0),
        p99_ms: percentile(&all, 99.0),
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let server = bind().await?;
    let client = bind().await?;
    let server_addr = server.addr();
    tokio::spawn(serve(server.clone()));
    let conn =
        tokio::time::timeout(Duration::from_secs(10), client.connect(server_addr, ALPN)).await??;

    let small = Arc::new(frame(64));
    let big = Arc::new(frame(MIB));
    // Warm-up.
    run(&conn, small.clone(), 1, 200).await?;
    run(&conn, big.clone(), 1, 2).await?;

    let seq = run(&conn, small.clone(), 1, if quick { 500 } else { 3000 }).await?;
    let c64 = run(&conn, small.clone(), 64, if quick { 3200 } else { 20032 }).await?;
    let bulk = run(&conn, big.clone(), 1, if quick { 5 } else { 20 }).await?;

    println!(
        "{{\"seqCallsPerSec\":{:.1},\"seqP50Ms\":{:.4},\"seqP99Ms\":{:.4},\"c64CallsPerSec\":{:.1},\"c64P50Ms\":{:.4},\"c64P99Ms\":{:.4},\"echo1MiBPerSec\":{:.2}}}",
        seq.per_second,
        seq.p50_ms,
        seq.p99_ms,
        c64.per_second,
        c64.p50_ms,
        c64.p99_ms,
        bulk.per_second
    );
    conn.close(0u32.into(), b"done");
    client.close().await;
    server.close().await;
    Ok(())
}
