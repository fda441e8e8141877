//! A small XML writer for EC2 responses: elements named by their `locationName`, lists as
//! wrappers of `<item>`s, text escaped with quick-xml.

use std::fmt::{Display, Write};

/// Escapes text for element content.
pub fn escape(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
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
        let _ = write!(self.buf, "<{tag}>");
        self
    }

    pub fn close(&mut self, tag: &str) -> &mut Self {
        let _ = write!(self.buf, "</{tag}>");
        self
    }

    /// `<tag>value</tag>`, escaped.
    pub fn leaf(&mut self, tag: &str, value: impl Display) -> &mut Self {
        let text = value.to_string();
        let _ = write!(self.buf, "<{tag}>{}</{tag}>", escape(&text));
        self
    }

    /// Bare escaped text: the content of an `<item>` of a list of strings
    /// (`<assignedIpv6Addresses><item>2600:…</item></assignedIpv6Addresses>`).
    pub fn text(&mut self, value: impl Display) -> &mut Self {
        let text = value.to_string();
        self.buf.push_str(&escape(&text));
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
            let _ = write!(self.buf, "<{tag}/>");
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
