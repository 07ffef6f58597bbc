//! The workshop's side panel: lessons, jobs at intervals, and micro-batches.

use std::rc::Rc;

use kiln_protocol::TableSummary;
use yew::prelude::*;

use crate::components::lesson_view::LessonView;
use crate::components::schedule_view::ScheduleView;
use crate::components::stream_view::StreamView;
use crate::workshop::schedule::{Interval, ScheduleState};
use crate::workshop::stream::{StreamSpec, StreamState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkshopTab {
    Lessons,
    Schedule,
    Stream,
}

impl WorkshopTab {
    pub const ALL: [WorkshopTab; 3] = [
        WorkshopTab::Lessons,
        WorkshopTab::Schedule,
        WorkshopTab::Stream,
    ];

    fn label(self) -> &'static str {
        match self {
            WorkshopTab::Lessons => "Lessons",
            WorkshopTab::Schedule => "Schedule",
            WorkshopTab::Stream => "Stream",
        }
    }

    fn key(self) -> &'static str {
        match self {
            WorkshopTab::Lessons => "lessons",
            WorkshopTab::Schedule => "schedule",
            WorkshopTab::Stream => "stream",
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub tab: WorkshopTab,
    pub on_tab: Callback<WorkshopTab>,
    pub on_close: Callback<()>,
    pub can_run: bool,
    // Lessons
    pub step: usize,
    pub answer: Option<f64>,
    pub done: Rc<Vec<String>>,
    pub on_step: Callback<usize>,
    pub on_load: Callback<(usize, bool)>,
    pub on_answered: Callback<String>,
    // Schedule
    pub schedule: Rc<ScheduleState>,
    pub job_text: String,
    pub services: Rc<Vec<String>>,
    pub on_schedule: Callback<ScheduleState>,
    pub on_run_intervals: Callback<Vec<Interval>>,
    pub on_download_output: Callback<String>,
    // Stream
    pub stream: Option<Rc<StreamState>>,
    pub tables: Rc<Vec<TableSummary>>,
    pub on_stream: Callback<StreamSpec>,
}

#[component]
pub fn Workshop(props: &Props) -> Html {
    let tabs = WorkshopTab::ALL.iter().map(|t| {
        let active = *t == props.tab;
        let on_tab = props.on_tab.clone();
        let t = *t;
        html! {
            <button class={classes!("tab", active.then_some("active"))} role="tab" aria-selected={active.to_string()}
                data-testid={format!("workshop-tab-{}", t.key())} onclick={Callback::from(move |_: MouseEvent| on_tab.emit(t))}>
                { t.label() }
            </button>
        }
    });
    html! {
        <aside class="workshop" data-testid="workshop" aria-label="Workshop">
            <div class="tabs">
                <div class="tab-group" role="tablist" aria-label="Workshop">{ for tabs }</div>
                <span class="spacer" />
                <button class="icon-button" title="Close the workshop" aria-label="Close the workshop"
                    onclick={props.on_close.reform(|_: MouseEvent| ())}>{"×"}</button>
            </div>
            <div class="workshop-body">
                { match props.tab {
                    WorkshopTab::Lessons => html! {
                        <LessonView step={props.step} answer={props.answer} can_run={props.can_run}
                            done={props.done.clone()} on_step={props.on_step.clone()}
                            on_load={props.on_load.clone()} on_answered={props.on_answered.clone()} />
                    },
                    WorkshopTab::Schedule => html! {
                        <ScheduleView schedule={props.schedule.clone()} job_text={props.job_text.clone()}
                            services={props.services.clone()} on_change={props.on_schedule.clone()}
                            on_run={props.on_run_intervals.clone()} on_download={props.on_download_output.clone()}
                            can_run={props.can_run} />
                    },
                    WorkshopTab::Stream => html! {
                        <StreamView stream={props.stream.clone()} tables={props.tables.clone()}
                            on_start={props.on_stream.clone()} can_run={props.can_run} />
                    },
                } }
            </div>
        </aside>
    }
}
