//! A number input for a setting. What is typed stays as typed until it is committed
//! (change: Enter or leaving the field), however often the page re-renders meanwhile (a
//! running job re-renders many times a second, and a controlled input would snap back).

use web_sys::HtmlInputElement;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct Props {
    pub label: AttrValue,
    pub testid: AttrValue,
    /// The committed value.
    pub value: String,
    #[prop_or_default]
    pub placeholder: Option<AttrValue>,
    #[prop_or_default]
    pub min: Option<AttrValue>,
    #[prop_or_default]
    pub max: Option<AttrValue>,
    #[prop_or_default]
    pub title: Option<AttrValue>,
    pub on_commit: Callback<String>,
}

#[component]
pub fn NumberField(props: &Props) -> Html {
    let draft = use_state(|| None::<String>);
    let oninput = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                draft.set(Some(input.value()));
            }
        })
    };
    let onchange = {
        let draft = draft.clone();
        let on_commit = props.on_commit.clone();
        Callback::from(move |e: Event| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                on_commit.emit(input.value());
            }
            draft.set(None);
        })
    };
    let value = (*draft).clone().unwrap_or_else(|| props.value.clone());
    html! {
        <label title={props.title.clone()}>
            { props.label.clone() }{" "}
            <input type="number" data-testid={props.testid.clone()} min={props.min.clone()}
                max={props.max.clone()} placeholder={props.placeholder.clone()}
                value={value} {oninput} {onchange} />
        </label>
    }
}
