//! Blixard Lab's binding of iroh for Node.
//!
//! Bytes cross as Buffers: a Buffer from JavaScript is read in place, and a
//! reply is handed back as an external Buffer that owns the Rust allocation,
//! so no byte is copied element by element. Two entry points exist for the
//! RPC hot path: `Connection.call` (one crossing per call: open a stream,
//! write the request frame, read the whole reply frame) and
//! `Connection.acceptRequests` (the server side: whole request frames, in
//! batches when several are ready). Everything else mirrors iroh's own
//! surface: endpoints, connections, bi streams, reset and close codes,
//! the selected path and per-connection statistics.

use std::{
    collections::{BTreeSet, HashMap},
    net::SocketAddr,
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use iroh::endpoint::{self, VarInt, presets, presets::Preset as _};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use tokio::sync::{Mutex, mpsc, watch};

/// Size of the Blixard frame header (version, type, u32 BE length at byte 2, request id, padding).
const HEADER_BYTES: usize = 24;
/// Reset code of a call that failed or passed its deadline (the RPC core's "cancelled").
const CALL_FAILED_CODE: u32 = 1;
/// Chunk size for reading a frame's payload: large frames grow as bytes arrive, never up front.
const READ_CHUNK: usize = 256 * 1024;

fn fail(what: &str, e: impl std::fmt::Display) -> Error {
    Error::from_reason(format!("{what}: {e}"))
}

fn code_of(code: u32) -> VarInt {
    VarInt::from_u32(code)
}

// ---------------------------------------------------------------------------
// Keys

/// A fresh ed25519 secret key, 32 bytes.
#[napi]
pub fn generate_secret_key() -> Buffer {
    iroh::SecretKey::generate().to_bytes().to_vec().into()
}

/// The node id (base32 public key) of a 32-byte secret key.
#[napi]
pub fn node_id_of(secret: Buffer) -> Result<String> {
    let key = secret_key_from(&secret)?;
    Ok(key.public().to_string())
}

/// The canonical form of a node id; throws when the text is not one.
#[napi]
pub fn parse_node_id(text: String) -> Result<String> {
    iroh::EndpointId::from_str(&text)
        .map(|id| id.to_string())
        .map_err(|_| Error::from_reason(format!("invalid Iroh node id '{text}'")))
}

fn secret_key_from(bytes: &[u8]) -> Result<iroh::SecretKey> {
    let key: [u8; 32] = bytes.try_into().map_err(|_| {
        Error::from_reason(format!("secret key must be 32 bytes, got {}", bytes.len()))
    })?;
    Ok(iroh::SecretKey::from_bytes(&key))
}

// ---------------------------------------------------------------------------
// Endpoint

#[napi(object)]
pub struct BindOptions {
    /// host:port for the UDP socket; port 0 picks a free one.
    pub bind_addr: String,
    /// 32 bytes; a fresh key when absent.
    pub secret_key: Option<Buffer>,
    /// ALPNs this endpoint accepts.
    pub alpns: Vec<String>,
    /// Relay URLs; absent or empty disables relays.
    pub relay_urls: Option<Vec<String>>,
}

#[napi(object)]
pub struct EndpointInfo {
    pub node_id: String,
    pub addrs: Vec<String>,
    pub relay_url: Option<String>,
}

#[napi(object)]
pub struct UdpBytes {
    pub sent: f64,
    pub received: f64,
}

#[napi]
pub struct Endpoint {
    inner: endpoint::Endpoint,
}

#[napi]
impl Endpoint {
    /// Binds an endpoint with the minimal preset (no discovery), relays as given.
    #[napi(factory)]
    pub async fn bind(options: BindOptions) -> Result<Endpoint> {
        let mut builder = presets::Minimal.apply(endpoint::Builder::empty());
        let relay = match options.relay_urls {
            None => iroh::RelayMode::Disabled,
            Some(urls) if urls.is_empty() => iroh::RelayMode::Disabled,
            Some(urls) => {
                let mut parsed = Vec::with_capacity(urls.len());
                for url in urls {
                    parsed.push(
                        iroh::RelayUrl::from_str(&url)
                            .map_err(|e| fail(&format!("relay URL '{url}'"), e))?,
                    );
                }
                iroh::RelayMode::custom(parsed)
            }
        };
        builder = builder.relay_mode(relay);
        if let Some(secret) = options.secret_key.as_deref() {
            builder = builder.secret_key(secret_key_from(secret)?);
        }
        builder = builder.alpns(options.alpns.into_iter().map(String::into_bytes).collect());
        let addr = SocketAddr::from_str(&options.bind_addr).map_err(|e| {
            fail(
                &format!("bind address '{}' is not host:port", options.bind_addr),
                e,
            )
        })?;
        builder = builder
            .bind_addr(addr)
            .map_err(|e| fail(&format!("bind address '{}'", options.bind_addr), e))?;
        let inner = builder.bind().await.map_err(|e| fail("bind", e))?;
        Ok(Endpoint { inner })
    }

    /// This endpoint's node id.
    #[napi]
    pub fn id(&self) -> String {
        self.inner.id().to_string()
    }

    /// The local UDP sockets, host:port.
    #[napi]
    pub fn bound_sockets(&self) -> Vec<String> {
        self.inner
            .bound_sockets()
            .into_iter()
            .map(|a| a.to_string())
            .collect()
    }

    /// Node id, direct addresses and home relay as the endpoint knows them now.
    #[napi]
    pub fn addr(&self) -> EndpointInfo {
        let addr = self.inner.addr();
        let mut addrs = Vec::new();
        let mut relay_url = None;
        for a in &addr.addrs {
            match a {
                iroh::TransportAddr::Ip(s) => addrs.push(s.to_string()),
                iroh::TransportAddr::Relay(u) => relay_url = Some(u.to_string()),
                _ => {}
            }
        }
        EndpointInfo {
            node_id: addr.id.to_string(),
            addrs,
            relay_url,
        }
    }

    /// Dials a node by id and direct UDP addresses (ip:port) with the given ALPN.
    #[napi]
    pub async fn connect(
        &self,
        node_id: String,
        addrs: Vec<String>,
        alpn: String,
        relay_url: Option<String>,
    ) -> Result<Connection> {
        let id = iroh::EndpointId::from_str(&node_id)
            .map_err(|_| Error::from_reason(format!("invalid Iroh node id '{node_id}'")))?;
        let mut set = BTreeSet::new();
        for a in &addrs {
            let socket = SocketAddr::from_str(a)
                .map_err(|e| fail(&format!("direct address '{a}' is not ip:port"), e))?;
            set.insert(iroh::TransportAddr::Ip(socket));
        }
        if let Some(url) = relay_url {
            let url = iroh::RelayUrl::from_str(&url)
                .map_err(|e| fail(&format!("relay URL '{url}'"), e))?;
            set.insert(iroh::TransportAddr::Relay(url));
        }
        let addr = iroh::EndpointAddr::from_parts(id, set);
        let conn = self
            .inner
            .connect(addr, alpn.as_bytes())
            .await
            .map_err(|e| fail("connect", e))?;
        Ok(Connection::new(conn))
    }

    /// This endpoint's secret key, 32 bytes.
    #[napi]
    pub fn secret_key(&self) -> Buffer {
        self.inner.secret_key().to_bytes().to_vec().into()
    }

    /// UDP payload bytes this endpoint sent and received, over IPv4, IPv6 and relays.
    #[napi]
    pub fn udp_bytes(&self) -> UdpBytes {
        let m = &self.inner.metrics().socket;
        UdpBytes {
            sent: (m.send_ipv4.get() + m.send_ipv6.get() + m.send_relay.get()) as f64,
            received: (m.recv_data_ipv4.get() + m.recv_data_ipv6.get() + m.recv_data_relay.get())
                as f64,
        }
    }

    /// The next incoming connection attempt; null once the endpoint is closed.
    #[napi]
    pub async fn accept_next(&self) -> Option<Incoming> {
        let incoming = self.inner.accept().await?;
        Some(Incoming(std::sync::Mutex::new(Some(incoming))))
    }

    #[napi]
    pub async fn close(&self) {
        self.inner.close().await;
    }

    #[napi]
    pub fn is_closed(&self) -> bool {
        self.inner.is_closed()
    }
}

/// A connection attempt from a peer, before its handshake.
#[napi]
pub struct Incoming(std::sync::Mutex<Option<endpoint::Incoming>>);

#[napi]
impl Incoming {
    /// Completes the handshake; the connection's ALPN and remote id are then known.
    #[napi]
    pub async fn accept(&self) -> Result<Connection> {
        let incoming = self
            .0
            .lock()
            .map_err(|_| Error::from_reason("incoming lock poisoned"))?
            .take()
            .ok_or_else(|| Error::from_reason("incoming connection already accepted"))?;
        let accepting = incoming.accept().map_err(|e| fail("accept", e))?;
        let conn = accepting.await.map_err(|e| fail("handshake", e))?;
        Ok(Connection::new(conn))
    }

    /// Turns the attempt away without a handshake.
    #[napi]
    pub fn refuse(&self) {
        if let Ok(mut guard) = self.0.lock() {
            if let Some(incoming) = guard.take() {
                incoming.refuse();
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Connection

type Request = (endpoint::SendStream, endpoint::RecvStream, Vec<u8>, bool);

#[napi(object)]
pub struct ConnectionStats {
    pub udp_tx_datagrams: f64,
    pub udp_tx_bytes: f64,
    pub udp_rx_datagrams: f64,
    pub udp_rx_bytes: f64,
    pub lost_packets: f64,
    pub lost_bytes: f64,
}

fn addr_text(addr: &iroh::TransportAddr) -> String {
    match addr {
        iroh::TransportAddr::Ip(s) => s.to_string(),
        iroh::TransportAddr::Relay(u) => u.to_string(),
        other => format!("{other:?}"),
    }
}

#[napi(object)]
pub struct PathInfo {
    /// ip:port, or the relay URL.
    pub remote_addr: String,
    pub is_ip: bool,
    pub is_relay: bool,
    pub is_selected: bool,
    pub rtt_ms: f64,
}

#[napi(object)]
pub struct SelectedPath {
    /// ip:port, or the relay URL.
    pub remote_addr: String,
    pub is_relay: bool,
    pub rtt_ms: f64,
}

#[napi]
pub struct Connection {
    inner: endpoint::Connection,
    requests: Arc<Mutex<Option<mpsc::UnboundedReceiver<Request>>>>,
    cancels: Arc<std::sync::Mutex<HashMap<u32, watch::Sender<Option<u32>>>>>,
}

impl Connection {
    fn new(inner: endpoint::Connection) -> Self {
        Connection {
            inner,
            requests: Arc::new(Mutex::new(None)),
            cancels: Arc::new(std::sync::Mutex::new(HashMap::new())),
        }
    }
}

enum Stop {
    Cancelled(u32),
    Deadline,
}

/// Runs `work` until it ends, the call's cancel id fires, or its deadline passes.
async fn until_stopped<F: std::future::Future>(
    work: F,
    cancel: &mut Option<watch::Receiver<Option<u32>>>,
    deadline: Option<tokio::time::Instant>,
) -> std::result::Result<F::Output, Stop> {
    let cancelled = async {
        match cancel {
            Some(rx) => {
                let code = rx
                    .wait_for(|v| v.is_some())
                    .await
                    .map(|v| (*v).unwrap_or(0))
                    .ok();
                match code {
                    Some(code) => code,
                    // The sender is gone: no cancel can come any more.
                    None => std::future::pending::<u32>().await,
                }
            }
            None => std::future::pending::<u32>().await,
        }
    };
    let expired = async {
        match deadline {
            Some(at) => tokio::time::sleep_until(at).await,
            None => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        out = work => Ok(out),
        code = cancelled => Err(Stop::Cancelled(code)),
        _ = expired => Err(Stop::Deadline),
    }
}

fn stop_error(stop: Stop) -> Error {
    match stop {
        Stop::Cancelled(_) => Error::new(Status::Cancelled, "call cancelled".to_string()),
        Stop::Deadline => Error::new(Status::Cancelled, "deadline exceeded".to_string()),
    }
}

#[napi]
impl Connection {
    #[napi]
    pub fn remote_id(&self) -> String {
        self.inner.remote_id().to_string()
    }

    #[napi]
    pub fn alpn(&self) -> String {
        String::from_utf8_lossy(self.inner.alpn()).into_owned()
    }

    #[napi]
    pub async fn open_bi(&self) -> Result<BiStream> {
        let (send, recv) = self
            .inner
            .open_bi()
            .await
            .map_err(|e| fail("open stream", e))?;
        Ok(BiStream::new(send, recv))
    }

    #[napi]
    pub async fn accept_bi(&self) -> Result<BiStream> {
        let (send, recv) = self
            .inner
            .accept_bi()
            .await
            .map_err(|e| fail("accept stream", e))?;
        Ok(BiStream::new(send, recv))
    }

    /// Waits for the peer's next bi stream, then takes every further one that
    /// is already waiting, up to `max` in all: under load one crossing carries
    /// many streams.
    #[napi]
    pub async fn accept_bis(&self, max: u32) -> Result<Vec<BiStream>> {
        let (send, recv) = self.inner.accept_bi().await.map_err(|e| fail("accept stream", e))?;
        let mut streams = vec![BiStream::new(send, recv)];
        while streams.len() < max.max(1) as usize {
            match poll_once(self.inner.accept_bi()) {
                Some(Ok((send, recv))) => streams.push(BiStream::new(send, recv)),
                // None waiting now, or the connection is closing: the next call says which.
                _ => break,
            }
        }
        // A stream is announced with its first data: take it now, so a small request needs no read.
        for bi in &streams {
            bi.recv.prefetch();
        }
        Ok(streams)
    }

    /// One whole call in one crossing: opens a stream, writes `request` (a
    /// whole frame), reads one whole reply frame (at most `maxPayload` payload
    /// bytes; a header declaring more comes back alone, a stream that ends
    /// early comes back cut short) and finishes the stream. With
    /// `finishFirst` the send side is finished right after the request, else
    /// only once the reply is in (so the peer can see a cancel as a reset).
    /// `timeoutMs` and `cancelId` (see `cancelCall`) reset the stream and
    /// reject with "deadline exceeded" / "call cancelled".
    #[napi]
    pub async fn call(
        &self,
        request: Buffer,
        max_payload: u32,
        timeout_ms: Option<u32>,
        cancel_id: Option<u32>,
        finish_first: Option<bool>,
    ) -> Result<Buffer> {
        let deadline =
            timeout_ms.map(|ms| tokio::time::Instant::now() + Duration::from_millis(u64::from(ms)));
        let mut cancel = match cancel_id {
            None => None,
            Some(id) => Some(self.register_cancel(id)?),
        };
        let result = self
            .call_inner(
                &request,
                max_payload as usize,
                deadline,
                &mut cancel,
                finish_first.unwrap_or(false),
            )
            .await;
        if let Some(id) = cancel_id {
            if let Ok(mut map) = self.cancels.lock() {
                map.remove(&id);
            }
        }
        result.map(Buffer::from)
    }

    /// Cancels the call started with this cancel id (its stream is reset with `code`).
    #[napi]
    pub fn cancel_call(&self, cancel_id: u32, code: u32) {
        if let Ok(mut map) = self.cancels.lock() {
            match map.get(&cancel_id) {
                Some(tx) => {
                    let _ = tx.send(Some(code));
                }
                None => {
                    // The call has not started in Rust yet: leave it pre-cancelled.
                    let (tx, _) = watch::channel(Some(code));
                    map.insert(cancel_id, tx);
                }
            }
        }
    }

    /// Serves whole request frames: the first call starts accepting bi streams
    /// and reading one frame from each; every call then waits for at least one
    /// ready request and returns up to `maxBatch` of them. An empty batch means
    /// the connection is closed. A request not complete within `readTimeoutMs`
    /// comes back with what arrived and `timedOut` set.
    #[napi]
    pub async fn accept_requests(
        &self,
        max_batch: u32,
        max_payload: u32,
        read_timeout_ms: Option<u32>,
    ) -> Result<RequestBatch> {
        let mut guard = self.requests.lock().await;
        if guard.is_none() {
            *guard = Some(spawn_request_pump(
                self.inner.clone(),
                max_payload as usize,
                read_timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))),
            ));
        }
        let rx = guard.as_mut().expect("request pump started");
        let mut batch = RequestBatch::default();
        let Some(first) = rx.recv().await else {
            return Ok(batch);
        };
        batch.push(first);
        while batch.frames.len() < max_batch.max(1) as usize {
            match rx.try_recv() {
                Ok(req) => batch.push(req),
                Err(_) => break,
            }
        }
        Ok(batch)
    }

    /// Closes the connection with an application code and reason the peer sees.
    #[napi]
    pub fn close(&self, code: u32, reason: String) {
        self.inner.close(code_of(code), reason.as_bytes());
    }

    /// Why the connection closed, or null while it is open.
    #[napi]
    pub fn close_reason(&self) -> Option<String> {
        self.inner.close_reason().map(|e| e.to_string())
    }

    /// Resolves with the close reason once the connection closes.
    #[napi]
    pub async fn closed(&self) -> String {
        self.inner.closed().await.to_string()
    }

    /// Round-trip time of the selected path, in ms.
    #[napi]
    pub fn rtt(&self) -> Option<f64> {
        self.selected_path().map(|p| p.rtt_ms)
    }

    /// Every open path: its remote address, kind, whether it is the one in use, its RTT.
    #[napi]
    pub fn paths(&self) -> Vec<PathInfo> {
        self.inner
            .paths()
            .iter()
            .map(|p| PathInfo {
                remote_addr: addr_text(p.remote_addr()),
                is_ip: p.is_ip(),
                is_relay: p.is_relay(),
                is_selected: p.is_selected(),
                rtt_ms: p.rtt().as_secs_f64() * 1000.0,
            })
            .collect()
    }

    /// The path the connection sends on now.
    #[napi]
    pub fn selected_path(&self) -> Option<SelectedPath> {
        self.inner
            .paths()
            .iter()
            .find(|p| p.is_selected())
            .map(|p| SelectedPath {
                remote_addr: match p.remote_addr() {
                    iroh::TransportAddr::Ip(s) => s.to_string(),
                    iroh::TransportAddr::Relay(u) => u.to_string(),
                    other => format!("{other:?}"),
                },
                is_relay: p.is_relay(),
                rtt_ms: p.rtt().as_secs_f64() * 1000.0,
            })
    }

    /// How many bi streams the peer may have open at once.
    #[napi]
    pub fn set_max_concurrent_bi_streams(&self, count: u32) {
        self.inner.set_max_concurrent_bi_streams(code_of(count));
    }

    #[napi]
    pub fn stats(&self) -> ConnectionStats {
        let s = self.inner.stats();
        ConnectionStats {
            udp_tx_datagrams: s.udp_tx.datagrams as f64,
            udp_tx_bytes: s.udp_tx.bytes as f64,
            udp_rx_datagrams: s.udp_rx.datagrams as f64,
            udp_rx_bytes: s.udp_rx.bytes as f64,
            lost_packets: s.lost_packets as f64,
            lost_bytes: s.lost_bytes as f64,
        }
    }
}

impl Connection {
    fn register_cancel(&self, id: u32) -> Result<watch::Receiver<Option<u32>>> {
        let mut map = self
            .cancels
            .lock()
            .map_err(|_| Error::from_reason("cancel registry poisoned"))?;
        if let Some(existing) = map.get(&id) {
            // cancelCall came first: the receiver sees the code at once.
            return Ok(existing.subscribe());
        }
        let (tx, rx) = watch::channel(None);
        map.insert(id, tx);
        Ok(rx)
    }

    async fn call_inner(
        &self,
        request: &[u8],
        max_payload: usize,
        deadline: Option<tokio::time::Instant>,
        cancel: &mut Option<watch::Receiver<Option<u32>>>,
        finish_first: bool,
    ) -> Result<Vec<u8>> {
        let (mut send, mut recv) = until_stopped(self.inner.open_bi(), cancel, deadline)
            .await
            .map_err(stop_error)?
            .map_err(|e| fail("open stream", e))?;
        let outcome = {
            let work = async {
                send.write_all(request)
                    .await
                    .map_err(|e| fail("write", e))?;
                if finish_first {
                    send.finish().map_err(|e| fail("finish", e))?;
                }
                let (reply, _) = read_frame(&mut recv, max_payload, None).await;
                Ok::<_, Error>(reply)
            };
            until_stopped(work, cancel, deadline).await
        };
        match outcome {
            Ok(Ok(reply)) => {
                if !finish_first {
                    let _ = send.finish();
                }
                Ok(reply)
            }
            Ok(Err(e)) => {
                let _ = send.reset(code_of(CALL_FAILED_CODE));
                let _ = recv.stop(code_of(CALL_FAILED_CODE));
                Err(e)
            }
            Err(stop) => {
                let code = match stop {
                    Stop::Cancelled(c) => c,
                    Stop::Deadline => CALL_FAILED_CODE,
                };
                let _ = send.reset(code_of(code));
                let _ = recv.stop(code_of(code));
                Err(stop_error(stop))
            }
        }
    }
}

/// Polls a future once: its output if it is ready now.
fn poll_once<F: std::future::Future>(fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}

fn spawn_request_pump(
    conn: endpoint::Connection,
    max_payload: usize,
    read_timeout: Option<Duration>,
) -> mpsc::UnboundedReceiver<Request> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((send, mut recv)) = conn.accept_bi().await {
            let tx = tx.clone();
            tokio::spawn(async move {
                let deadline = read_timeout.map(|d| tokio::time::Instant::now() + d);
                let (frame, timed_out) = read_frame(&mut recv, max_payload, deadline).await;
                let _ = tx.send((send, recv, frame, timed_out));
            });
        }
    });
    rx
}

/// Reads one frame: the header, then as many payload bytes as it declares.
/// Returns what arrived (a prefix when the stream ended, failed or the
/// deadline passed first; the header alone when it declares more than
/// `max_payload`), and whether the deadline cut it short.
async fn read_frame(
    recv: &mut endpoint::RecvStream,
    max_payload: usize,
    deadline: Option<tokio::time::Instant>,
) -> (Vec<u8>, bool) {
    let mut buf = Vec::with_capacity(HEADER_BYTES);
    if let Err(timed_out) = fill(recv, &mut buf, HEADER_BYTES, deadline).await {
        return (buf, timed_out);
    }
    let declared = u32::from_be_bytes([buf[2], buf[3], buf[4], buf[5]]) as usize;
    if declared > max_payload {
        return (buf, false);
    }
    let total = HEADER_BYTES + declared;
    buf.reserve_exact(declared.min(READ_CHUNK * 4));
    match fill(recv, &mut buf, total, deadline).await {
        Ok(()) => (buf, false),
        Err(timed_out) => (buf, timed_out),
    }
}

/// Appends to `buf` until it holds `want` bytes; Err(timed_out) when the stream stops first.
async fn fill(
    recv: &mut endpoint::RecvStream,
    buf: &mut Vec<u8>,
    want: usize,
    deadline: Option<tokio::time::Instant>,
) -> std::result::Result<(), bool> {
    while buf.len() < want {
        let need = (want - buf.len()).min(READ_CHUNK);
        let read = recv.read_chunk(need);
        let chunk = match deadline {
            Some(at) => match tokio::time::timeout_at(at, read).await {
                Ok(r) => r,
                Err(_) => return Err(true),
            },
            None => read.await,
        };
        match chunk {
            Ok(Some(bytes)) => buf.extend_from_slice(&bytes),
            _ => return Err(false),
        }
    }
    Ok(())
}

#[napi(object)]
pub struct RequestFrames {
    pub frames: Vec<Buffer>,
    pub timed_out: Vec<bool>,
}

/// Request frames accepted together, with the streams to answer them on.
#[napi]
#[derive(Default)]
pub struct RequestBatch {
    streams: Vec<BiStream>,
    frames: Vec<Vec<u8>>,
    timed_out: Vec<bool>,
}

impl RequestBatch {
    fn push(&mut self, (send, recv, frame, timed_out): Request) {
        self.streams.push(BiStream::new(send, recv));
        self.frames.push(frame);
        self.timed_out.push(timed_out);
    }
}

#[napi]
impl RequestBatch {
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        self.streams.len() as u32
    }

    /// The streams, in the order of `takeFrames`.
    #[napi]
    pub fn streams(&self) -> Vec<BiStream> {
        self.streams.clone()
    }

    /// The frames (moved out: a second call returns none).
    #[napi]
    pub fn take_frames(&mut self) -> RequestFrames {
        RequestFrames {
            frames: std::mem::take(&mut self.frames)
                .into_iter()
                .map(Buffer::from)
                .collect(),
            timed_out: std::mem::take(&mut self.timed_out),
        }
    }
}

// ---------------------------------------------------------------------------
// Streams

#[napi]
#[derive(Clone)]
pub struct BiStream {
    send: SendStream,
    recv: RecvStream,
}

impl BiStream {
    fn new(send: endpoint::SendStream, recv: endpoint::RecvStream) -> Self {
        BiStream {
            send: SendStream(Arc::new(Mutex::new(send))),
            recv: RecvStream::new(recv),
        }
    }
}

#[napi]
impl BiStream {
    #[napi(getter)]
    pub fn send(&self) -> SendStream {
        self.send.clone()
    }

    #[napi(getter)]
    pub fn recv(&self) -> RecvStream {
        self.recv.clone()
    }
}

#[napi]
#[derive(Clone)]
pub struct SendStream(Arc<Mutex<endpoint::SendStream>>);

#[napi]
impl SendStream {
    /// Writes all of `data`; with `finish`, finishes the stream after it.
    #[napi]
    pub async fn write_all(&self, data: Buffer, finish: Option<bool>) -> Result<()> {
        let mut send = self.0.lock().await;
        send.write_all(&data).await.map_err(|e| fail("write", e))?;
        if finish.unwrap_or(false) {
            send.finish().map_err(|e| fail("finish", e))?;
        }
        Ok(())
    }

    #[napi]
    pub async fn finish(&self) -> Result<()> {
        self.0.lock().await.finish().map_err(|e| fail("finish", e))
    }

    /// Abandons the stream: the peer's reads fail with `code`. Waits for a
    /// write in progress to let go of the stream.
    #[napi]
    pub async fn reset(&self, code: u32) -> Result<()> {
        self.0.lock().await.reset(code_of(code)).map_err(|e| fail("reset", e))
    }
}

/// What the accept already read of a stream: its first chunk, or that it ended or failed.
enum First {
    Data(Vec<u8>),
    End,
    Failed(String),
}

#[napi]
#[derive(Clone)]
pub struct RecvStream(Arc<Mutex<endpoint::RecvStream>>, Arc<std::sync::Mutex<Option<First>>>);

impl RecvStream {
    fn new(recv: endpoint::RecvStream) -> Self {
        RecvStream(Arc::new(Mutex::new(recv)), Arc::new(std::sync::Mutex::new(None)))
    }

    /// Reads the first chunk if it has already arrived, without waiting, and keeps it for the next read.
    fn prefetch(&self) {
        let Ok(mut recv) = self.0.try_lock() else { return };
        let first = match poll_once(recv.read_chunk(READ_CHUNK)) {
            None => return,
            Some(Ok(Some(chunk))) => First::Data(chunk.to_vec()),
            Some(Ok(None)) => First::End,
            Some(Err(e)) => First::Failed(format!("read: {e}")),
        };
        if let Ok(mut slot) = self.1.lock() {
            *slot = Some(first);
        }
    }

    fn take_first(&self) -> Option<First> {
        self.1.lock().ok().and_then(|mut slot| slot.take())
    }

    /// Bytes read ahead, and whether the stream already ended (or failed) after them.
    fn take_prefix(&self) -> (Vec<u8>, bool) {
        match self.take_first() {
            None => (Vec::new(), false),
            Some(First::Data(d)) => (d, false),
            Some(First::End) | Some(First::Failed(_)) => (Vec::new(), true),
        }
    }
}

#[napi]
impl RecvStream {
    /// The first chunk of the stream if the accept already read it (no waiting, no promise); else null.
    #[napi]
    pub fn take_first_chunk(&self) -> Option<Buffer> {
        let mut slot = self.1.lock().ok()?;
        match slot.take() {
            Some(First::Data(d)) => Some(d.into()),
            other => {
                *slot = other;
                None
            }
        }
    }

    /// Up to `maxBytes` bytes as they arrive; null at the end of the stream.
    #[napi]
    pub async fn read(&self, max_bytes: u32) -> Result<Option<Buffer>> {
        let max = max_bytes.max(1) as usize;
        match self.take_first() {
            Some(First::Data(mut d)) => {
                if d.len() > max {
                    let rest = d.split_off(max);
                    if let Ok(mut slot) = self.1.lock() {
                        *slot = Some(First::Data(rest));
                    }
                }
                return Ok(Some(d.into()));
            }
            Some(First::End) => return Ok(None),
            Some(First::Failed(e)) => return Err(Error::from_reason(e)),
            None => {}
        }
        let mut recv = self.0.lock().await;
        let chunk = recv.read_chunk(max).await.map_err(|e| fail("read", e))?;
        Ok(chunk.map(|b| Buffer::from(b.to_vec())))
    }

    /// Exactly `size` bytes; throws when the stream ends first.
    #[napi]
    pub async fn read_exact(&self, size: u32) -> Result<Buffer> {
        let size = size as usize;
        let (mut buf, ended) = self.take_prefix();
        if buf.len() > size {
            let rest = buf.split_off(size);
            if let Ok(mut slot) = self.1.lock() {
                *slot = Some(First::Data(rest));
            }
        }
        buf.reserve(size.saturating_sub(buf.len()).min(READ_CHUNK * 4));
        let whole = if ended || buf.len() >= size {
            buf.len() >= size
        } else {
            let mut recv = self.0.lock().await;
            fill(&mut recv, &mut buf, size, None).await.is_ok()
        };
        if whole {
            Ok(buf.into())
        } else {
            Err(Error::from_reason(format!("stream ended after {} of {size} bytes", buf.len())))
        }
    }

    /// Everything up to the end of the stream, at most `sizeLimit` bytes.
    #[napi]
    pub async fn read_to_end(&self, size_limit: u32) -> Result<Buffer> {
        let (mut prefix, ended) = self.take_prefix();
        if ended {
            return Ok(prefix.into());
        }
        let limit = (size_limit as usize).checked_sub(prefix.len()).ok_or_else(|| {
            Error::from_reason(format!("read to end: stream is over the {size_limit}-byte limit"))
        })?;
        let mut recv = self.0.lock().await;
        let bytes = recv.read_to_end(limit).await.map_err(|e| fail("read to end", e))?;
        prefix.extend_from_slice(&bytes);
        Ok(prefix.into())
    }

    /// One whole frame (see `Connection.call` for what a short one means);
    /// with `timeoutMs`, throws "no whole frame within N ms" when it passes first.
    #[napi]
    pub async fn read_frame(&self, max_payload: u32, timeout_ms: Option<u32>) -> Result<Buffer> {
        if matches!(self.1.lock().ok().as_deref(), Some(Some(_))) {
            return Err(Error::from_reason(
                "read frame: the stream's first chunk was read ahead; read it with read()",
            ));
        }
        let mut recv = self.0.lock().await;
        let deadline =
            timeout_ms.map(|ms| tokio::time::Instant::now() + Duration::from_millis(u64::from(ms)));
        let (frame, timed_out) = read_frame(&mut recv, max_payload as usize, deadline).await;
        if timed_out {
            return Err(Error::new(
                Status::Cancelled,
                format!(
                    "no whole frame within {} ms ({} bytes arrived)",
                    timeout_ms.unwrap_or(0),
                    frame.len()
                ),
            ));
        }
        Ok(frame.into())
    }

    /// Tells the peer to stop sending: its writes fail with `code`. Waits for a
    /// read in progress to let go of the stream.
    #[napi]
    pub async fn stop(&self, code: u32) -> Result<()> {
        self.0.lock().await.stop(code_of(code)).map_err(|e| fail("stop", e))
    }
}
