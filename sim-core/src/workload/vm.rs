//! A VM's lifecycle as a VMM drives VFIO: at `start` attach every passed-through device to the
//! VM's container and map guest RAM (one `VFIO_IOMMU_MAP_DMA` of the whole RAM); optionally
//! hot-plug churn (every `every` cycles a random attached device is unplugged and comes back
//! `down` cycles later); at `stop` unmap RAM and detach everything.

use super::schema::Churn;
use super::{Steps, TOKEN_START, TOKEN_STOP};
use crate::engine::SimRng;
use crate::ids::{ContainerId, DeviceId};
use crate::spec::{Action, PROT_READ, PROT_WRITE};
use crate::time::Cycle;

/// Most devices one VM generator attaches (all in its start wake-up, with the RAM map).
pub const MAX_DEVICES: usize = 7;

#[derive(Clone, Debug)]
pub struct VmSpec {
    pub id: String,
    pub container: ContainerId,
    pub devices: Vec<DeviceId>,
    pub start: Cycle,
    pub stop: Option<Cycle>,
    pub ram_bytes: u64,
    pub ram_iova: u64,
    /// log2 of the guest RAM's backing page size, 0 when contiguous (see `Op::Map.backing`).
    pub ram_page_shift: u8,
    pub churn: Option<Churn>,
}

#[derive(Debug)]
pub struct Vm {
    pub spec: VmSpec,
    attached: Vec<bool>,
    running: bool,
}

const CHURN: u32 = 0;

impl Vm {
    pub fn new(spec: VmSpec) -> Vm {
        Vm { attached: vec![false; spec.devices.len()], running: false, spec }
    }

    pub fn wake(&mut self, now: Cycle, token: u32, stopped: bool, rng: &mut SimRng, out: &mut Steps) {
        let s = &self.spec;
        match token {
            TOKEN_START => {
                for (i, &device) in s.devices.iter().enumerate() {
                    out.act(Action::Attach { device, container: s.container });
                    self.attached[i] = true;
                }
                out.act(Action::Map {
                    container: s.container,
                    iova: s.ram_iova,
                    size: s.ram_bytes,
                    prot: PROT_READ | PROT_WRITE,
                    backing_shift: s.ram_page_shift,
                });
                self.running = true;
                if let Some(c) = s.churn {
                    out.wake(now + c.every, CHURN);
                }
            }
            TOKEN_STOP if self.running => {
                out.act(Action::Unmap { container: s.container, iova: s.ram_iova, size: s.ram_bytes });
                for (i, &device) in s.devices.iter().enumerate() {
                    if self.attached[i] {
                        out.act(Action::Detach { device });
                        self.attached[i] = false;
                    }
                }
                self.running = false;
            }
            CHURN if !stopped && self.running => {
                let up = self.attached.iter().filter(|&&a| a).count();
                if let (Some(c), true) = (s.churn, up > 0) {
                    // The k-th attached device, k uniform.
                    let k = rng.below(up as u64) as usize;
                    let i = (0..s.devices.len()).filter(|&i| self.attached[i]).nth(k).expect("k < up");
                    out.act(Action::Detach { device: s.devices[i] });
                    self.attached[i] = false;
                    out.wake(now + c.down, 1 + i as u32);
                    out.wake(now + c.every, CHURN);
                }
            }
            t if t >= 1 && !stopped && self.running => {
                let i = (t - 1) as usize;
                if i < s.devices.len() && !self.attached[i] {
                    out.act(Action::Attach { device: s.devices[i], container: s.container });
                    self.attached[i] = true;
                }
            }
            _ => {}
        }
    }
}
