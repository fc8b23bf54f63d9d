//! Publish/subscribe: a registry from channel names to the runtime's broadcast channel
//! (`super::rt::broadcast`, tokio's or magpie's; the same shape). A message is encoded
//! once, at publish, into the reply every subscriber's connection sends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::resp;
use super::rt::broadcast;

/// Messages a subscriber may fall behind by before it loses the oldest.
const CHANNEL_CAPACITY: usize = 1024;

/// An encoded `message` push reply, shared by every subscriber of its channel.
pub type Message = Arc<[u8]>;

/// The channels that have (or had) subscribers.
#[derive(Default)]
pub struct PubSub {
    channels: Mutex<HashMap<Vec<u8>, broadcast::Sender<Message>>>,
}

impl PubSub {
    fn lock(&self) -> MutexGuard<'_, HashMap<Vec<u8>, broadcast::Sender<Message>>> {
        // Only map and channel operations run under the lock: a poisoned map is consistent.
        self.channels.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `payload` to `channel`'s subscribers; how many there were. A channel found
    /// with none left is forgotten.
    pub fn publish(&self, channel: &[u8], payload: &[u8]) -> usize {
        let mut channels = self.lock();
        let Some(sender) = channels.get(channel) else {
            return 0;
        };
        let mut message = Vec::with_capacity(32 + channel.len() + payload.len());
        resp::array_header(&mut message, 3);
        resp::bulk(&mut message, Some(b"message"));
        resp::bulk(&mut message, Some(channel));
        resp::bulk(&mut message, Some(payload));
        match sender.send(message.into()) {
            Ok(receivers) => receivers,
            Err(_) => {
                channels.remove(channel);
                0
            }
        }
    }

    /// A receiver of every message published to `channel` from now on.
    pub fn subscribe(&self, channel: &[u8]) -> broadcast::Receiver<Message> {
        let mut channels = self.lock();
        match channels.get(channel) {
            Some(sender) => sender.subscribe(),
            None => {
                let (sender, receiver) = broadcast::channel(CHANNEL_CAPACITY);
                channels.insert(channel.to_vec(), sender);
                receiver
            }
        }
    }
}
