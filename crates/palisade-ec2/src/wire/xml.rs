//! A small XML writer for EC2 responses: elements named by their `locationName`, lists as
//! wrappers of `<item>`s, text escaped as quick-xml escapes it.

use std::fmt::{Display, Write};

/// Escapes text for element content.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// A `fmt::Write` that escapes what it is given as XML text, straight into the buffer
/// (quick-xml's `escape` borrows when there is nothing to escape).
struct Escaped<'a>(&'a mut String);

impl Write for Escaped<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.push_str(&escape(s));
        Ok(())
    }
}

/// An XML fragment being written.
#[derive(Debug, Default)]
pub struct Xml {
    buf: String,
}

impl Xml {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn open(&mut self, tag: &str) -> &mut Self {
        self.buf.push('<');
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        self.buf.push_str("</");
        self.buf.push_str(tag);
        self.buf.push('>');
        self
    }

    /// `<tag>value</tag>`, escaped.
    pub fn leaf(&mut self, tag: &str, value: impl Display) -> &mut Self {
        self.open(tag);
        self.text(value);
        self.close(tag)
    }

    /// Bare escaped text: the content of an `<item>` of a list of strings
    /// (`<assignedIpv6Addresses><item>2600:…</item></assignedIpv6Addresses>`).
    pub fn text(&mut self, value: impl Display) -> &mut Self {
        // Straight into the buffer: formatting into a String first and escaping a copy
        // showed as the writer's main cost in profiles.
        let _ = write!(Escaped(&mut self.buf), "{value}");
        self
    }

    /// A leaf only when there is a value.
    pub fn opt(&mut self, tag: &str, value: Option<impl Display>) -> &mut Self {
        if let Some(v) = value {
            self.leaf(tag, v);
        }
        self
    }

    /// `<tag>` with one `<item>` per element, each written by `f`; `<tag/>` when empty.
    pub fn list<T>(
        &mut self,
        tag: &str,
        items: impl IntoIterator<Item = T>,
        mut f: impl FnMut(&mut Self, T),
    ) -> &mut Self {
        let mut any = false;
        for item in items {
            if !any {
                self.open(tag);
                any = true;
            }
            self.open("item");
            f(self, item);
            self.close("item");
        }
        if any {
            self.close(tag);
        } else {
            self.buf.push('<');
            self.buf.push_str(tag);
            self.buf.push_str("/>");
        }
        self
    }

    /// `<tag>…</tag>` written by `f`.
    pub fn node(&mut self, tag: &str, f: impl FnOnce(&mut Self)) -> &mut Self {
        self.open(tag);
        f(self);
        self.close(tag)
    }

    pub fn finish(self) -> String {
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Xml, escape};

    proptest! {
        /// The writer's in-place escaping is quick-xml's, character for character.
        #[test]
        fn text_escapes_as_quick_xml(s in ".*") {
            let mut x = Xml::new();
            x.text(&s);
            prop_assert_eq!(x.finish(), escape(&s).into_owned());
        }
    }

    #[test]
    fn leaf_and_empty_list() {
        let mut x = Xml::new();
        x.leaf("a", "x<'&\">y")
            .list("none", std::iter::empty::<()>(), |_, ()| {});
        assert_eq!(x.finish(), "<a>x&lt;&apos;&amp;&quot;&gt;y</a><none/>");
    }
}
