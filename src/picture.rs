//! Pictures from outside the box (care-team photos in the record, film posters): decoded with
//! limits a hostile file cannot get past, and made small on the thread that read them, so the UI
//! thread only copies pixels.

use crate::domain::record::Photo;

/// Decodes PNG or JPEG (`format`, or guessed from the bytes), at most 4096 px a side, and
/// shrinks it to fit `max_width` x `max_height` keeping its shape. None when it does not decode.
pub fn thumbnail(
    bytes: &[u8],
    format: Option<image::ImageFormat>,
    max_width: u32,
    max_height: u32,
) -> Option<Photo> {
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes));
    let mut reader = match format {
        Some(f) => {
            let mut r = reader;
            r.set_format(f);
            r
        }
        None => reader.with_guessed_format().ok()?,
    };
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(4096);
    limits.max_image_height = Some(4096);
    limits.max_alloc = Some(80 << 20);
    reader.limits(limits);
    let picture = reader.decode().ok()?;
    let small = if picture.width() > max_width || picture.height() > max_height {
        picture.thumbnail(max_width, max_height)
    } else {
        picture
    }
    .into_rgba8();
    Some(Photo {
        width: small.width(),
        height: small.height(),
        rgba: small.into_raw().into(),
    })
}
