//! Event traces: every event a run processes, streamed to a compact binary file
//! (`iommu-sim run --trace FILE`) and compared by `iommu-sim trace-diff A B`.
//!
//! Why a trace beside the digest: the digest says *that* two runs differ; the trace says at
//! which event, so a regression in `check` can be pinned to the first event whose cycle,
//! operands, outcome or CPU cost moved. The writer is an [`Observer`]: it encodes each
//! [`EventRecord`] as it arrives into a `BufWriter`, so a run of millions of events needs no
//! memory for them. The layout (docs/trace-format.md):
//!
//! ```text
//! magic "IOMMUTRC" · version u16 LE · seed u64 LE · scenario, topology, strategy (strings)
//! · device names (u32 LE count + strings) · container names (same)
//! · records: kind u8 (1..=6), then LEB128 varints: cycle delta, a, b, c, outcome, cpu
//! · end: byte 0, then a varint record count
//! ```
//! Strings are a u32 LE byte length and UTF-8. Everything is fixed by the inputs (no time
//! stamps, no paths), so two runs of a scenario write byte-identical traces.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use crate::linux::Errno;
use crate::scenario::Scenario;
use crate::sim::{EventKind, EventRecord, Observer};
use crate::strategy::StrategyName;

/// First bytes of every trace.
pub const MAGIC: &[u8; 8] = b"IOMMUTRC";
/// Layout version; bumped on any change of the encoding.
pub const VERSION: u16 = 1;
/// Byte that ends the record stream (no event kind is 0).
const END: u8 = 0;
/// Longest string a reader accepts (names are short; junk must not allocate gigabytes).
const MAX_STRING: u32 = 1 << 16;
/// Most names in a table a reader accepts.
const MAX_NAMES: u32 = 1 << 20;

/// What a trace says about its run, and the name tables that make its ids readable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TraceHeader {
    pub scenario: String,
    pub topology: String,
    pub strategy: String,
    pub seed: u64,
    /// Device names by `DeviceId`.
    pub devices: Vec<String>,
    /// Container names by `ContainerId`.
    pub containers: Vec<String>,
}

impl TraceHeader {
    /// The header of a run of `scenario` under `strategy` with `seed`.
    pub fn for_run(scenario: &Scenario, strategy: StrategyName, seed: u64) -> TraceHeader {
        TraceHeader {
            scenario: scenario.name.clone(),
            topology: scenario.platform.name.clone(),
            strategy: strategy.as_str().to_string(),
            seed,
            devices: scenario.platform.devices.iter().map(|d| d.name.clone()).collect(),
            containers: scenario.containers.iter().map(|c| c.name.clone()).collect(),
        }
    }

    fn device(&self, id: u64) -> String {
        match usize::try_from(id).ok().and_then(|i| self.devices.get(i)) {
            Some(n) => n.clone(),
            None => format!("device#{id}"),
        }
    }

    fn container(&self, id: u64) -> String {
        match usize::try_from(id).ok().and_then(|i| self.containers.get(i)) {
            Some(n) => n.clone(),
            None => format!("container#{id}"),
        }
    }
}

/// A trace that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum TraceError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file does not start with the trace magic.
    #[error("not an iommu-sim trace (bad magic)")]
    NotATrace,
    #[error("trace format version {0} is not supported (this build reads version {VERSION})")]
    Version(u16),
    /// Malformed content (bad kind byte, overlong varint, bad UTF-8...).
    #[error("corrupt trace at byte {offset}: {message}")]
    Corrupt { offset: u64, message: String },
    /// The file ends before its end marker (the run was interrupted?).
    #[error("truncated trace: ends at byte {offset} without its end marker")]
    Truncated { offset: u64 },
}

/// Streams events into a trace. Write errors are kept and returned by [`TraceWriter::finish`]
/// (the `Observer` callback cannot fail).
pub struct TraceWriter<W: Write> {
    out: W,
    last_cycle: u64,
    count: u64,
    error: Option<io::Error>,
    buf: [u8; 64],
}

impl TraceWriter<BufWriter<crate::atomic::AtomicFile>> {
    /// Starts writing `path` (atomically: it appears, or is replaced, only at
    /// [`TraceWriter::commit`]) and writes the header.
    pub fn create(path: &Path, header: &TraceHeader) -> io::Result<Self> {
        TraceWriter::new(BufWriter::with_capacity(1 << 16, crate::atomic::AtomicFile::create(path)?), header)
    }

    /// [`TraceWriter::finish`], then puts the file in place; returns the number of events.
    pub fn commit(self) -> io::Result<u64> {
        let (count, out) = self.finish_into()?;
        out.into_inner().map_err(io::IntoInnerError::into_error)?.commit()?;
        Ok(count)
    }
}

impl<W: Write> TraceWriter<W> {
    /// Writes the header to `out`.
    pub fn new(mut out: W, h: &TraceHeader) -> io::Result<Self> {
        out.write_all(MAGIC)?;
        out.write_all(&VERSION.to_le_bytes())?;
        out.write_all(&h.seed.to_le_bytes())?;
        for s in [&h.scenario, &h.topology, &h.strategy] {
            write_str(&mut out, s)?;
        }
        for table in [&h.devices, &h.containers] {
            out.write_all(&len_u32(table.len())?.to_le_bytes())?;
            for s in table {
                write_str(&mut out, s)?;
            }
        }
        Ok(TraceWriter { out, last_cycle: 0, count: 0, error: None, buf: [0; 64] })
    }

    /// Writes the end marker and flushes; returns the number of events written.
    pub fn finish(self) -> io::Result<u64> {
        self.finish_into().map(|(n, _)| n)
    }

    /// [`TraceWriter::finish`], also giving back the writer.
    pub fn finish_into(mut self) -> io::Result<(u64, W)> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        let mut n = 0;
        self.buf[0] = END;
        n += 1;
        n += put_varint(&mut self.buf[n..], self.count);
        self.out.write_all(&self.buf[..n])?;
        self.out.flush()?;
        Ok((self.count, self.out))
    }
}

impl<W: Write> Observer for TraceWriter<W> {
    fn event(&mut self, rec: &EventRecord) {
        if self.error.is_some() {
            return;
        }
        // 1 kind byte + 6 varints of at most 10 bytes: fits the 64-byte scratch buffer, so no
        // allocation per event.
        let b = &mut self.buf;
        b[0] = rec.kind as u8;
        let mut n = 1;
        for v in [rec.cycle.wrapping_sub(self.last_cycle), rec.a, rec.b, rec.c, rec.outcome, rec.cpu] {
            n += put_varint(&mut b[n..], v);
        }
        self.last_cycle = rec.cycle;
        self.count += 1;
        if let Err(e) = self.out.write_all(&b[..n]) {
            self.error = Some(e);
        }
    }
}

fn len_u32(n: usize) -> io::Result<u32> {
    u32::try_from(n).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "trace: name or table too long"))
}

fn write_str<W: Write>(out: &mut W, s: &str) -> io::Result<()> {
    out.write_all(&len_u32(s.len())?.to_le_bytes())?;
    out.write_all(s.as_bytes())
}

/// LEB128: 7 bits per byte, low first, high bit = more follows.
fn put_varint(buf: &mut [u8], mut v: u64) -> usize {
    let mut i = 0;
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            buf[i] = byte;
            return i + 1;
        }
        buf[i] = byte | 0x80;
        i += 1;
    }
}

/// Reads a trace event by event (constant memory).
pub struct TraceReader<R: Read> {
    input: R,
    header: TraceHeader,
    last_cycle: u64,
    count: u64,
    offset: u64,
    done: bool,
}

impl TraceReader<BufReader<File>> {
    /// Opens `path` and reads its header.
    pub fn open(path: &Path) -> Result<Self, TraceError> {
        TraceReader::new(BufReader::with_capacity(1 << 16, File::open(path)?))
    }
}

impl<R: Read> TraceReader<R> {
    /// Reads the header from `input`.
    pub fn new(input: R) -> Result<Self, TraceError> {
        let mut r = TraceReader { input, header: TraceHeader::default(), last_cycle: 0, count: 0, offset: 0, done: false };
        let mut magic = [0u8; 8];
        match r.exact(&mut magic) {
            Ok(()) if &magic == MAGIC => {}
            Ok(()) | Err(TraceError::Truncated { .. }) => return Err(TraceError::NotATrace),
            Err(e) => return Err(e),
        }
        let mut v = [0u8; 2];
        r.exact(&mut v)?;
        let version = u16::from_le_bytes(v);
        if version != VERSION {
            return Err(TraceError::Version(version));
        }
        let mut seed = [0u8; 8];
        r.exact(&mut seed)?;
        r.header.seed = u64::from_le_bytes(seed);
        r.header.scenario = r.string()?;
        r.header.topology = r.string()?;
        r.header.strategy = r.string()?;
        r.header.devices = r.table()?;
        r.header.containers = r.table()?;
        Ok(r)
    }

    pub fn header(&self) -> &TraceHeader {
        &self.header
    }

    /// Events read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The next event, or `None` after the end marker (whose count must match).
    pub fn next_event(&mut self) -> Result<Option<EventRecord>, TraceError> {
        if self.done {
            return Ok(None);
        }
        let at = self.offset;
        let mut k = [0u8; 1];
        self.exact(&mut k)?;
        if k[0] == END {
            let n = self.varint()?;
            if n != self.count {
                return Err(TraceError::Corrupt { offset: at, message: format!("end marker counts {n} events, {} were read", self.count) });
            }
            let mut extra = [0u8; 1];
            if self.input.read(&mut extra)? != 0 {
                return Err(TraceError::Corrupt { offset: self.offset, message: "bytes after the end marker".into() });
            }
            self.done = true;
            return Ok(None);
        }
        let kind =
            EventKind::from_u8(k[0]).ok_or_else(|| TraceError::Corrupt { offset: at, message: format!("unknown event kind {}", k[0]) })?;
        let delta = self.varint()?;
        let cycle = self.last_cycle.wrapping_add(delta);
        let rec = EventRecord {
            cycle,
            kind,
            a: self.varint()?,
            b: self.varint()?,
            c: self.varint()?,
            outcome: self.varint()?,
            cpu: self.varint()?,
        };
        self.last_cycle = cycle;
        self.count += 1;
        Ok(Some(rec))
    }

    fn exact(&mut self, buf: &mut [u8]) -> Result<(), TraceError> {
        match self.input.read_exact(buf) {
            Ok(()) => {
                self.offset += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Err(TraceError::Truncated { offset: self.offset }),
            Err(e) => Err(e.into()),
        }
    }

    fn varint(&mut self) -> Result<u64, TraceError> {
        let start = self.offset;
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let mut b = [0u8; 1];
            self.exact(&mut b)?;
            let bits = u64::from(b[0] & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            v |= bits << shift;
            if b[0] & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(TraceError::Corrupt { offset: start, message: "varint longer than 64 bits".into() })
    }

    fn u32(&mut self) -> Result<u32, TraceError> {
        let mut b = [0u8; 4];
        self.exact(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn string(&mut self) -> Result<String, TraceError> {
        let at = self.offset;
        let len = self.u32()?;
        if len > MAX_STRING {
            return Err(TraceError::Corrupt { offset: at, message: format!("string of {len} bytes") });
        }
        let mut bytes = vec![0u8; len as usize];
        self.exact(&mut bytes)?;
        String::from_utf8(bytes).map_err(|_| TraceError::Corrupt { offset: at, message: "string is not UTF-8".into() })
    }

    fn table(&mut self) -> Result<Vec<String>, TraceError> {
        let at = self.offset;
        let n = self.u32()?;
        if n > MAX_NAMES {
            return Err(TraceError::Corrupt { offset: at, message: format!("name table of {n} entries") });
        }
        (0..n).map(|_| self.string()).collect()
    }
}

const ERRNOS: [Errno; 7] = [Errno::EINVAL, Errno::EMEDIUMTYPE, Errno::ENXIO, Errno::ENODEV, Errno::ENOMEM, Errno::ENOSPC, Errno::EBUSY];

fn errno_name(code: u64) -> String {
    ERRNOS.iter().find(|e| e.code() == code).map_or_else(|| format!("errno {code}"), |e| e.as_str().to_string())
}

/// One event, readably: kind, names from the header's tables, operands and decoded outcome
/// (the encodings are those of `sim/mod.rs`).
pub fn describe(rec: &EventRecord, h: &TraceHeader) -> String {
    let body = match rec.kind {
        EventKind::Attach => {
            let outcome = if rec.outcome >> 32 != 0 {
                format!("refused {}", errno_name(rec.outcome >> 32))
            } else {
                format!("domain {}", rec.outcome.wrapping_sub(1))
            };
            format!("attach {} to {}: {outcome}", h.device(rec.a), h.container(rec.b))
        }
        EventKind::Detach => {
            let outcome = match rec.outcome {
                0 => "group stays",
                1 => "group left",
                2 => "group left, domain freed",
                _ => "?",
            };
            format!("detach {}: {outcome}", h.device(rec.a))
        }
        EventKind::Map | EventKind::Unmap => format!(
            "{} {} iova {:#x} size {:#x}: {}",
            rec.kind.as_str(),
            h.container(rec.a),
            rec.b,
            rec.c,
            if rec.outcome == 1 { "ok" } else { "refused" }
        ),
        EventKind::Dma => format!(
            "dma {} {} iova {:#x} bytes {}: latency {} faults {} stale {}",
            h.device(rec.a & 0xffff_ffff),
            if rec.a >> 32 & 1 == 1 { "write" } else { "read" },
            rec.b,
            rec.c,
            rec.outcome & ((1 << 48) - 1),
            rec.outcome >> 48 & 0xff,
            rec.outcome >> 56
        ),
        EventKind::Flush => format!(
            "flush timer {} generation {}: {}",
            h.container(rec.a),
            rec.b,
            if rec.outcome == 1 { "flushed" } else { "nothing to flush" }
        ),
        EventKind::Fault => format!("injected fault #{} starts (operand {}, outcome {})", rec.b, rec.a, rec.outcome),
        EventKind::InvalidationDone => {
            let what = if rec.c == u64::MAX { "whole tag".to_string() } else { format!("range at {:#x}", rec.c) };
            format!("delayed invalidation done on IOMMU {} tag {}: {what}", rec.a, rec.b)
        }
    };
    format!("cycle {} {body} (cpu {})", rec.cycle, rec.cpu)
}

/// What the operands `a`, `b`, `c` of an event of `kind` hold (`sim/mod.rs`).
pub fn operand_names(kind: EventKind) -> [&'static str; 3] {
    match kind {
        EventKind::Attach => ["device", "container", "c"],
        EventKind::Detach => ["device", "b", "c"],
        EventKind::Map | EventKind::Unmap => ["container", "iova", "size"],
        EventKind::Dma => ["device/direction", "iova", "bytes"],
        EventKind::Flush => ["container", "generation", "c"],
        EventKind::Fault => ["target", "fault", "c"],
        EventKind::InvalidationDone => ["iommu", "tag", "iova"],
    }
}

/// Names of the fields in which two records differ (operands named after `x`'s kind).
pub fn differing_fields(x: &EventRecord, y: &EventRecord) -> Vec<&'static str> {
    let mut out = Vec::new();
    let [na, nb, nc] = operand_names(x.kind);
    for (name, a, b) in [
        ("cycle", x.cycle, y.cycle),
        ("kind", x.kind as u64, y.kind as u64),
        (na, x.a, y.a),
        (nb, x.b, y.b),
        (nc, x.c, y.c),
        ("outcome", x.outcome, y.outcome),
        ("cpu", x.cpu, y.cpu),
    ] {
        if a != b {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> TraceHeader {
        TraceHeader {
            scenario: "s".into(),
            topology: "t".into(),
            strategy: "per-group".into(),
            seed: 42,
            devices: vec!["0000:01:00.0".into()],
            containers: vec!["vm0".into()],
        }
    }

    fn records() -> Vec<EventRecord> {
        let r = |cycle, kind, a, b, c, outcome, cpu| EventRecord { cycle, kind, a, b, c, outcome, cpu };
        vec![
            r(0, EventKind::Attach, 0, 0, 0, 1, 7750),
            r(1000, EventKind::Map, 0, 0, 0x4000_0000, 1, 2100),
            r(1000, EventKind::Dma, 1 << 32, 0x1000, 65536, 17 | 1 << 48, 0),
            r(u64::MAX, EventKind::Flush, 0, u64::MAX, 0, 0, u64::MAX),
            r(5, EventKind::Attach, 0, 0, 0, 16 << 32, 0),
        ]
    }

    fn encode() -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = TraceWriter::new(&mut out, &header()).unwrap();
        for r in records() {
            w.event(&r);
        }
        w.finish().unwrap();
        out
    }

    #[test]
    fn round_trip() {
        let bytes = encode();
        let mut r = TraceReader::new(&bytes[..]).unwrap();
        assert_eq!(r.header(), &header());
        let mut got = Vec::new();
        while let Some(e) = r.next_event().unwrap() {
            got.push(e);
        }
        assert_eq!(got, records());
        assert_eq!(r.next_event().unwrap(), None);
    }

    #[test]
    fn bad_input_is_an_error_never_a_panic() {
        assert!(matches!(TraceReader::new(&b"Scenario("[..]), Err(TraceError::NotATrace)));
        assert!(matches!(TraceReader::new(&b""[..]), Err(TraceError::NotATrace)));
        let bytes = encode();
        // Every truncation is an error, not a panic or a silent success.
        for cut in 0..bytes.len() {
            let res = TraceReader::new(&bytes[..cut]).and_then(|mut r| while_some(&mut r));
            assert!(res.is_err(), "cut at {cut} was accepted");
        }
        // Flipping any byte never panics.
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0xff;
            let _ = TraceReader::new(&b[..]).and_then(|mut r| while_some(&mut r));
        }
        let mut v = bytes.clone();
        v[8] = 9;
        assert!(matches!(TraceReader::new(&v[..]), Err(TraceError::Version(9))));
    }

    fn while_some<R: Read>(r: &mut TraceReader<R>) -> Result<(), TraceError> {
        while r.next_event()?.is_some() {}
        Ok(())
    }

    #[test]
    fn describe_uses_names() {
        let h = header();
        let recs = records();
        assert_eq!(describe(&recs[0], &h), "cycle 0 attach 0000:01:00.0 to vm0: domain 0 (cpu 7750)");
        assert!(describe(&recs[2], &h).contains("dma 0000:01:00.0 write iova 0x1000 bytes 65536: latency 17 faults 1"));
        assert!(describe(&recs[4], &h).contains("refused EBUSY"));
        assert_eq!(differing_fields(&recs[0], &recs[4]), vec!["cycle", "outcome", "cpu"]);
    }
}
