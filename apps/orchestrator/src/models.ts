// Every model the CLI knows. MIDG registers from @midg/trainer; each baseline package registers itself on import,
// so adding a baseline is: create packages/<name>, call registerModel in its index.ts, import it here.
import '@midg/trainer';
import '@midg/late-fusion';
