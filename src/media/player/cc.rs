//! Closed captions carried in the video: CEA-608/708 data taken from each decoded picture's buffer.

use super::*;

/// Decodes the closed captions a frame carries (CEA-708 `cc_data` with its DTVCC service and
/// 608 pairs, or bare 608) and tells when the text on screen changes. A channel that carries
/// 708 captions is read from them; the 608 copy most also carry is then left aside.
pub(super) fn captions(shared: &Shared, generation: u64, buffer: &gst::BufferRef) {
    use crate::media::cea608::{Cea608, field1_pairs};
    use crate::media::cea708::Cea708;
    let mut changed = None;
    {
        let mut state = shared.captions.lock().expect("captions lock");
        if state.0 != generation {
            *state = (generation, Cea608::new(), Cea708::new());
        }
        for meta in buffer.iter_meta::<gst_video::VideoCaptionMeta>() {
            let data = meta.data();
            let pairs: Vec<(u8, u8)> = match meta.caption_type() {
                gst_video::VideoCaptionType::Cea708Raw => {
                    if let Some(text) = state.2.push(data) {
                        changed = Some(text);
                    }
                    field1_pairs(data).collect()
                }
                gst_video::VideoCaptionType::Cea608Raw => {
                    data.chunks_exact(2).map(|p| (p[0], p[1])).collect()
                }
                // SMPTE 334-1a: a field byte (0x80 set for field 1) before each pair.
                gst_video::VideoCaptionType::Cea608S3341a => data
                    .chunks_exact(3)
                    .filter(|t| t[0] & 0x80 != 0)
                    .map(|t| (t[1], t[2]))
                    .collect(),
                _ => Vec::new(),
            };
            for (b1, b2) in pairs {
                if let Some(text) = state.1.push(b1, b2)
                    && !state.2.active
                {
                    changed = Some(text);
                }
            }
        }
    }
    if let Some(text) = changed {
        (shared.events)(Event::Caption { generation, text });
    }
}
