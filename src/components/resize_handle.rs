//! A handle that resizes a panel: dragged with the pointer, or focused and moved with
//! the arrow keys (a `separator` with its value, as WAI-ARIA's window splitter is).

use yew::prelude::*;

#[derive(Clone, Copy, PartialEq)]
pub enum Axis {
    /// Drags left and right: a panel's width.
    Columns,
    /// Drags up and down: a panel's height.
    Rows,
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub axis: Axis,
    /// The size it controls, in px, and its bounds.
    pub value: f64,
    pub min: f64,
    pub max: f64,
    /// Which way a drag to the right (or down) changes it: 1 or -1 (a panel on the
    /// right grows as its left edge moves left).
    #[prop_or(1.0)]
    pub direction: f64,
    pub label: AttrValue,
    pub on_change: Callback<f64>,
    #[prop_or_default]
    pub testid: AttrValue,
}

const KEY_STEP: f64 = 24.0;

#[component]
pub fn ResizeHandle(props: &Props) -> Html {
    // Where the drag started (pointer position, size then).
    let drag = use_mut_ref(|| None::<(f64, f64)>);
    let position = {
        let axis = props.axis;
        move |e: &PointerEvent| match axis {
            Axis::Columns => e.client_x() as f64,
            Axis::Rows => e.client_y() as f64,
        }
    };
    let clamp = {
        let (min, max) = (props.min, props.max);
        move |v: f64| v.clamp(min, max).round()
    };
    let on_down = {
        let (drag, value) = (drag.clone(), props.value);
        Callback::from(move |e: PointerEvent| {
            e.prevent_default();
            if let Some(el) = e.target_dyn_into::<web_sys::Element>() {
                let _ = el.set_pointer_capture(e.pointer_id());
            }
            *drag.borrow_mut() = Some((position(&e), value));
        })
    };
    let on_move = {
        let (drag, on_change, direction) = (drag.clone(), props.on_change.clone(), props.direction);
        Callback::from(move |e: PointerEvent| {
            if let Some((start, size)) = *drag.borrow() {
                on_change.emit(clamp(size + direction * (position(&e) - start)));
            }
        })
    };
    let on_up = {
        let drag = drag.clone();
        Callback::from(move |_: PointerEvent| *drag.borrow_mut() = None)
    };
    let on_key = {
        let (on_change, value, axis, direction) = (
            props.on_change.clone(),
            props.value,
            props.axis,
            props.direction,
        );
        Callback::from(move |e: KeyboardEvent| {
            let delta = match (axis, e.key().as_str()) {
                (Axis::Columns, "ArrowLeft") | (Axis::Rows, "ArrowUp") => -KEY_STEP,
                (Axis::Columns, "ArrowRight") | (Axis::Rows, "ArrowDown") => KEY_STEP,
                _ => return,
            };
            e.prevent_default();
            on_change.emit(clamp(value + direction * delta));
        })
    };
    let (class, orientation) = match props.axis {
        // A handle between columns is a vertical bar.
        Axis::Columns => ("resize-handle columns", "vertical"),
        Axis::Rows => ("resize-handle rows", "horizontal"),
    };
    html! {
        <div class={class} role="separator" tabindex="0" aria-orientation={orientation}
            aria-label={props.label.clone()} title={format!("{}: drag, or focus and use the arrow keys", props.label)}
            aria-valuenow={props.value.round().to_string()} aria-valuemin={props.min.to_string()}
            aria-valuemax={props.max.to_string()} data-testid={props.testid.clone()}
            onpointerdown={on_down} onpointermove={on_move} onpointerup={on_up.clone()}
            onpointercancel={on_up} onkeydown={on_key}></div>
    }
}
