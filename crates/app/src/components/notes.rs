use yew::prelude::*;

/// What the model simplifies, said plainly.
#[component]
pub fn Notes() -> Html {
    html! {
        <details class="panel notes" id="model-notes">
            <summary><h2>{ "Model notes" }</h2></summary>
            <p>{ "Deterministic: the same scenario and seed always give the same run. Honest simplifications:" }</p>
            <ul>
                <li>{ "One topic; partitions are numbered p0, p1, …" }</li>
                <li>{ "batch.size is counted in records, not bytes, so batches are easy to see." }</li>
                <li>{ "A crash loses no fsynced data: there is no page-cache loss." }</li>
                <li>{ "Followers truncate at batch boundaries." }</li>
                <li>{ "A metadata refresh completes instantly after one round trip." }</li>
                <li>{ "Transactions v1 (KIP-98) with the KIP-360 epoch bump after a failed batch and the KIP-890 part 1 check of brokers 3.6+ (a transaction's first write to a partition is verified with the coordinator, which reads the coordinator's state at once, without the round trip). Markers count as written once replicated. Not modelled: transactions v2, consumer group offsets (the input position travels in EndTxn)." }</li>
                <li>{ "Consumer lists show what a consumer reading a partition from the beginning would receive now, from the partition leader's log." }</li>
                <li>{ "Time is simulated milliseconds; long idle gaps are skipped while playing." }</li>
            </ul>
        </details>
    }
}
