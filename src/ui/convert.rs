//! Conversions every controller shares: domain values and pictures into Slint's types. Controllers
//! never import each other; what two of them need lives here.

use std::rc::Rc;
use std::time::Duration;

use slint::{Model, ModelRc, Rgb8Pixel, SharedPixelBuffer, VecModel};

use crate::domain::record::Photo;
use crate::media::player;

/// Sets a list property only when it changed (a repeater then leaves its items alone).
pub fn set_list<T: Clone + PartialEq + 'static>(
    current: &ModelRc<T>,
    want: &[T],
    set: impl FnOnce(ModelRc<T>),
) {
    let same = current.row_count() == want.len()
        && want
            .iter()
            .enumerate()
            .all(|(i, v)| current.row_data(i).as_ref() == Some(v));
    if !same {
        set(ModelRc::from(Rc::new(VecModel::from(want.to_vec()))));
    }
}

/// "1:02:03" or "12:34".
pub fn clock_text(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

/// One decoded RGB frame copied into a pixel buffer Slint can show (rows packed, stride
/// dropped). The one copy a picture makes on its way to the screen.
pub fn pixels(frame: &player::Frame<'_>) -> SharedPixelBuffer<Rgb8Pixel> {
    let mut buffer = SharedPixelBuffer::<Rgb8Pixel>::new(frame.width, frame.height);
    let row = frame.width as usize * 3;
    let out = buffer.make_mut_bytes();
    for (y, dst) in out.chunks_exact_mut(row).enumerate() {
        let src = &frame.data[y * frame.stride..];
        if src.len() < row {
            break;
        }
        dst.copy_from_slice(&src[..row]);
    }
    buffer
}

/// A decoded photo as a Slint image (a copy of a thumbnail's pixels; sync already decoded it).
pub fn photo_image(photo: &Photo) -> slint::Image {
    slint::Image::from_rgba8(slint::SharedPixelBuffer::clone_from_slice(
        &photo.rgba,
        photo.width,
        photo.height,
    ))
}
