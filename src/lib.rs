//! payplat: policy and compliance checks for synthesized Terraform.
//!
//! The data flow is one module per step: [`discover`] finds inputs, [`load`] reads each into
//! the [`model`], [`locate`] turns JSON pointers into line and column for what is reported.

pub mod check;
pub mod config;
pub mod discover;
pub mod expr;
pub mod generate;
pub mod inspect;
pub mod load;
pub mod locate;
pub mod model;
pub mod pointer;
pub mod report;
pub mod rules;
pub mod triage;
