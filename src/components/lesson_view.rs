//! One lesson step at a time: its text, its job (loaded into the editor, or loaded and
//! run), a pointer at what to look at (highlighted on the page), and a question whose
//! answer is checked against the run.

use std::rc::Rc;

use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::lessons::{LESSONS, is_right};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub step: usize,
    /// The current step's answer, read off the page as it is (`None`: not run yet).
    pub answer: Option<f64>,
    pub can_run: bool,
    /// Ids of the steps answered right.
    pub done: Rc<Vec<String>>,
    pub on_step: Callback<usize>,
    /// Loads the step's job (and runs it when `true`).
    pub on_load: Callback<(usize, bool)>,
    pub on_answered: Callback<String>,
}

#[derive(Clone, PartialEq)]
enum Verdict {
    Right,
    Wrong,
    NoRun,
}

#[component]
pub fn LessonView(props: &Props) -> Html {
    let typed = use_state(String::new);
    let verdict = use_state(|| None::<Verdict>);
    {
        let (typed, verdict) = (typed.clone(), verdict.clone());
        use_effect_with(props.step, move |_| {
            typed.set(String::new());
            verdict.set(None);
        });
    }
    let step = props.step.min(LESSONS.len() - 1);
    let lesson = &LESSONS[step];
    let go = |to: usize| {
        let on_step = props.on_step.clone();
        Callback::from(move |_: MouseEvent| on_step.emit(to))
    };
    let load = |run: bool| {
        let on_load = props.on_load.clone();
        Callback::from(move |_: MouseEvent| on_load.emit((step, run)))
    };
    let check = {
        let (typed, verdict, answer) = (typed.clone(), verdict.clone(), props.answer);
        let on_answered = props.on_answered.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let outcome = match answer {
                None => Verdict::NoRun,
                Some(answer) if is_right(&typed, answer) => {
                    on_answered.emit(lesson.id.to_string());
                    Verdict::Right
                }
                Some(_) => Verdict::Wrong,
            };
            verdict.set(Some(outcome));
        })
    };
    let on_type = {
        let typed = typed.clone();
        Callback::from(move |e: InputEvent| {
            typed.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let dots = LESSONS.iter().enumerate().map(|(i, l)| {
        let done = props.done.iter().any(|d| d == l.id);
        html! {
            <button class={classes!("lesson-dot", done.then_some("done"), (i == step).then_some("current"))}
                title={l.title} aria-label={format!("Step {}: {}", i + 1, l.title)} onclick={go(i)}>
                { if done { "✓".to_string() } else { (i + 1).to_string() } }
            </button>
        }
    });
    let verdict_view = match &*verdict {
        Some(Verdict::Right) => {
            html! { <p class="verdict right" data-testid="lesson-verdict" data-verdict="right">{"Right."}</p> }
        }
        Some(Verdict::Wrong) => {
            html! { <p class="verdict wrong" data-testid="lesson-verdict" data-verdict="wrong">{"Not quite: look again at "}{ lesson.look }{"."}</p> }
        }
        Some(Verdict::NoRun) => {
            html! { <p class="verdict" data-testid="lesson-verdict" data-verdict="no-run">{"Run the step's job first: the answer is read off the run."}</p> }
        }
        None => html! {},
    };
    html! {
        <div class="lesson" data-testid="lesson" data-step={step.to_string()} data-lesson={lesson.id}>
            <nav class="lesson-dots" aria-label="Lesson steps">{ for dots }</nav>
            <h3>{ format!("{}. {}", step + 1, lesson.title) }</h3>
            { for lesson.text.iter().map(|p| html! { <p>{ *p }</p> }) }
            <div class="lesson-actions">
                if lesson.job.is_some() {
                    <button class="button small" data-testid="lesson-load" onclick={load(false)}>{"Load the job"}</button>
                    <button class="button small primary" data-testid="lesson-run" onclick={load(true)}
                        disabled={!props.can_run}>{"Load and run"}</button>
                } else {
                    <button class="button small" data-testid="lesson-load" onclick={load(false)}>{"Show me"}</button>
                }
            </div>
            <p class="lesson-look">{"Look at: "}{ lesson.look }</p>
            <form class="lesson-question" onsubmit={check}>
                <label for="lesson-answer">{ lesson.question }</label>
                <div class="step-row">
                    <input id="lesson-answer" type="text" inputmode="decimal" data-testid="lesson-answer"
                        value={(*typed).clone()} oninput={on_type} autocomplete="off" />
                    <button class="button small" type="submit" data-testid="lesson-check">{"Check"}</button>
                </div>
            </form>
            { verdict_view }
            <div class="lesson-nav">
                <button class="button small" disabled={step == 0} onclick={go(step.saturating_sub(1))}>{"‹ Back"}</button>
                <span class="hint">{ format!("{} of {} · {} answered", step + 1, LESSONS.len(), props.done.len()) }</span>
                <button class="button small" data-testid="lesson-next" disabled={step + 1 >= LESSONS.len()}
                    onclick={go((step + 1).min(LESSONS.len() - 1))}>{"Next ›"}</button>
            </div>
        </div>
    }
}
