//! The dense table every list in the app uses: column headers from a list, rows from the caller.

use leptos::prelude::*;

/// Renders a scrollable table with `columns` as headers and `children` as its body rows.
/// With `actions`, a last, visually hidden "Actions" header labels a column of row buttons.
/// Columns listed in `numeric` (by position) are right-aligned, as their cells should be.
#[component]
pub fn DataTable(
    columns: &'static [&'static str],
    #[prop(optional)] actions: bool,
    #[prop(optional)] numeric: &'static [usize],
    children: Children,
) -> impl IntoView {
    let headers = columns
        .iter()
        .enumerate()
        .map(|(index, label)| {
            view! { <th scope="col" class:num=numeric.contains(&index)>{*label}</th> }
        })
        .collect_view();
    let actions_header = actions.then(|| {
        view! {
            <th scope="col">
                <span class="sr-only">"Actions"</span>
            </th>
        }
    });
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>{headers} {actions_header}</tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}
