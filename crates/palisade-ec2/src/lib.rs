//! palisade-ec2.
