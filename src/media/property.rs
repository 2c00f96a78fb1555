//! Setting GStreamer properties without a panic.
//!
//! GStreamer looks properties up by name at run time, and the glib bindings' `set_property`
//! panics when an element has no such property or takes another type. Which element sits in a
//! slot is only known at run time: `autoaudiosink` is a bin that picks ALSA, PulseAudio or a
//! fake sink when it starts, a camera may be `v4l2src` or a test source, a decoder is whatever
//! decodebin found. A call once died on every accept because `async` was set on
//! `autoaudiosink` (a bin with `async-handling`, not `async`) while every test used a
//! `fakesink` that has it. So: properties are set through [`set`] and [`set_str`], which say
//! what is wrong instead, and the pipelines are built once at start-up ([`crate::call::media`]'s
//! `check`) so a wrong one is refused before anyone relies on it.

use gstreamer as gst;
use gstreamer::glib;
use gstreamer::prelude::*;

/// A property that cannot be set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PropertyError {
    /// The element has no property by that name.
    #[error("{element} has no property `{property}`")]
    Missing { element: String, property: String },
    /// The property takes another type, is read-only, or the text is not one of its values.
    #[error("{element}'s property `{property}` does not take {value}")]
    Refused {
        element: String,
        property: String,
        value: String,
    },
}

fn element_name(object: &impl IsA<glib::Object>) -> String {
    object.type_().name().to_owned()
}

fn writable(object: &impl IsA<glib::Object>, name: &str) -> Result<glib::ParamSpec, PropertyError> {
    let pspec = object
        .find_property(name)
        .ok_or_else(|| PropertyError::Missing {
            element: element_name(object),
            property: name.to_owned(),
        })?;
    if !pspec.flags().contains(glib::ParamFlags::WRITABLE) {
        return Err(PropertyError::Refused {
            element: element_name(object),
            property: name.to_owned(),
            value: "a new value (it is read-only)".into(),
        });
    }
    Ok(pspec)
}

/// Sets `name` to `value`, or says why it cannot.
pub fn set(
    object: &impl IsA<glib::Object>,
    name: &str,
    value: impl ToValue,
) -> Result<(), PropertyError> {
    let pspec = writable(object, name)?;
    let value = value.to_value();
    if !value.type_().is_a(pspec.value_type()) {
        return Err(PropertyError::Refused {
            element: element_name(object),
            property: name.to_owned(),
            value: format!("a {}", value.type_().name()),
        });
    }
    object.set_property_from_value(name, &value);
    Ok(())
}

/// Sets `name` from text as `gst-launch-1.0` would (enum nicks, flags, numbers), or says why it
/// cannot.
pub fn set_str(
    object: &impl IsA<glib::Object>,
    name: &str,
    text: &str,
) -> Result<(), PropertyError> {
    let pspec = writable(object, name)?;
    let value =
        glib::Value::deserialize_with_pspec(text, &pspec).map_err(|_| PropertyError::Refused {
            element: element_name(object),
            property: name.to_owned(),
            value: format!("\"{text}\""),
        })?;
    object.set_property_from_value(name, &value);
    Ok(())
}

/// Sets `name` on `element` if it has it; when `element` is a bin that makes its real element
/// when it starts (`autoaudiosink`, `autoaudiosrc`, `autovideosink`), on the element it makes
/// instead, if that has it. What GStreamer picks at run time may lack a property that only
/// tunes it; that is logged, never fatal.
pub fn set_where_present(element: &gst::Element, name: &'static str, value: glib::SendValue) {
    match set(element, name, &value) {
        Ok(()) => {}
        Err(PropertyError::Missing { .. }) => {
            if let Some(bin) = element.downcast_ref::<gst::Bin>() {
                // A value is Send, not Sync: the handler may run on any streaming thread.
                let value = std::sync::Mutex::new(value);
                bin.connect_element_added(move |_, child| {
                    let value = value.lock().unwrap_or_else(|e| e.into_inner());
                    if let Err(e) = set(child, name, &*value) {
                        tracing::debug!(error = %e, "left as GStreamer made it");
                    }
                });
            }
        }
        Err(e) => tracing::warn!(error = %e, "left as GStreamer made it"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(name: &str) -> gst::Element {
        gst::init().unwrap();
        gst::ElementFactory::make(name).build().unwrap()
    }

    #[test]
    fn a_missing_or_mistyped_property_is_an_error_not_a_panic() {
        let sink = element("autoaudiosink");
        assert_eq!(
            set(&sink, "async", false),
            Err(PropertyError::Missing {
                element: "GstAutoAudioSink".into(),
                property: "async".into(),
            })
        );
        let queue = element("queue");
        assert!(matches!(
            set(&queue, "max-size-buffers", "two"),
            Err(PropertyError::Refused { .. })
        ));
        assert!(matches!(
            set_str(&queue, "leaky", "sideways"),
            Err(PropertyError::Refused { .. })
        ));
        assert!(matches!(
            set(&queue, "current-level-buffers", 1u32),
            Err(PropertyError::Refused { .. })
        ));
        set(&queue, "max-size-buffers", 2u32).unwrap();
        set_str(&queue, "leaky", "downstream").unwrap();
        assert_eq!(queue.property::<u32>("max-size-buffers"), 2);
    }

    #[test]
    fn an_auto_sink_gets_the_property_on_the_sink_it_picks() {
        let sink = element("autoaudiosink");
        set_where_present(&sink, "async", false.to_send_value());
        let pipeline = gst::Pipeline::new();
        let src = element("audiotestsrc");
        pipeline.add_many([&src, &sink]).unwrap();
        src.link(&sink).unwrap();
        // The real sink is made going to READY (a fake sink where no sound device answers).
        pipeline.set_state(gst::State::Ready).unwrap();
        let bin = sink.downcast_ref::<gst::Bin>().unwrap();
        let children = bin.children();
        let _ = pipeline.set_state(gst::State::Null);
        let real = children
            .iter()
            .find(|c| c.find_property("async").is_some())
            .expect("autoaudiosink made a sink");
        assert!(!real.property::<bool>("async"));
    }
}
