<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en_US" sourcelanguage="en_US">
<context>
    <name>AdjustDialog</name>
    <message>
        <source>Type the points to add, or a negative number to remove points.</source>
        <translation>Type the points to add, or a negative number to remove points.</translation>
    </message>
    <message>
        <source>Adjusted: {points}. New balance: {balance}.</source>
        <translation>Adjusted: {points}. New balance: {balance}.</translation>
    </message>
    <message>
        <source>Adjust points</source>
        <translation>Adjust points</translation>
    </message>
    <message>
        <source>{name} holds {points}. Add points, or remove them with a minus sign.</source>
        <translation>{name} holds {points}. Add points, or remove them with a minus sign.</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Adjust (Enter)</source>
        <translation>Adjust (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>A {role} may adjust at most {limit} at a time.</source>
        <translation>A {role} may adjust at most {limit} at a time.</translation>
    </message>
    <message>
        <source>A {role} may not adjust points; a manager must approve.</source>
        <translation>A {role} may not adjust points; a manager must approve.</translation>
    </message>
</context>
<context>
    <name>AmbassadorDialog</name>
    <message>
        <source>Type the points to grant.</source>
        <translation>Type the points to grant.</translation>
    </message>
    <message>
        <source>Granted {points}. New balance: {balance}.</source>
        <translation>Granted {points}. New balance: {balance}.</translation>
    </message>
    <message>
        <source>Brand ambassador points</source>
        <translation>Brand ambassador points</translation>
    </message>
    <message>
        <source>Grant {name} points as a brand ambassador. A manager approves it with their PIN; the reason and their name are kept in the ledger.</source>
        <translation>Grant {name} points as a brand ambassador. A manager approves it with their PIN; the reason and their name are kept in the ledger.</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Grant (Enter)</source>
        <translation>Grant (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>At most {now} now: {per_grant} a grant, and {per_month} for one member within 30 days.</source>
        <translation>At most {now} now: {per_grant} a grant, and {per_month} for one member within 30 days.</translation>
    </message>
</context>
<context>
    <name>ApprovalForm</name>
    <message>
        <source>cashier</source>
        <translation>cashier</translation>
    </message>
    <message>
        <source>event host</source>
        <translation>event host</translation>
    </message>
    <message>
        <source>manager</source>
        <translation>manager</translation>
    </message>
    <message>
        <source>club admin</source>
        <translation>club admin</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Reason</translation>
    </message>
    <message>
        <source>Why (kept in the ledger)</source>
        <translation>Why (kept in the ledger)</translation>
    </message>
    <message>
        <source>Approved by</source>
        <translation>Approved by</translation>
    </message>
    <message>
        <source>Their PIN</source>
        <translation>Their PIN</translation>
    </message>
    <message>
        <source>{name} ({role})</source>
        <translation>{name} ({role})</translation>
    </message>
</context>
<context>
    <name>CameraDialog</name>
    <message>
        <source>That photo could not be saved. Retake it.</source>
        <translation>That photo could not be saved. Retake it.</translation>
    </message>
    <message>
        <source>Starting the camera…</source>
        <translation>Starting the camera…</translation>
    </message>
    <message>
        <source>Keep the face inside the oval, then take the photo (Space).</source>
        <translation>Keep the face inside the oval, then take the photo (Space).</translation>
    </message>
    <message>
        <source>Taking the photo…</source>
        <translation>Taking the photo…</translation>
    </message>
    <message>
        <source>Use this photo (Enter), or retake it (Backspace).</source>
        <translation>Use this photo (Enter), or retake it (Backspace).</translation>
    </message>
    <message>
        <source>Saving the photo…</source>
        <translation>Saving the photo…</translation>
    </message>
    <message>
        <source>The camera sends no picture. Close this window and choose a file.</source>
        <translation>The camera sends no picture. Close this window and choose a file.</translation>
    </message>
    <message>
        <source>The camera could not be started. Close this window and choose a file.</source>
        <translation>The camera could not be started. Close this window and choose a file.</translation>
    </message>
    <message>
        <source>Photo from the camera</source>
        <translation>Photo from the camera</translation>
    </message>
    <message>
        <source>Take photo (Space)</source>
        <translation>Take photo (Space)</translation>
    </message>
    <message>
        <source>Retake (Backspace)</source>
        <translation>Retake (Backspace)</translation>
    </message>
    <message>
        <source>Use this photo (Enter)</source>
        <translation>Use this photo (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
</context>
<context>
    <name>CheckoutView</name>
    <message>
        <source>Type the sale amount first.</source>
        <translation>Type the sale amount first.</translation>
    </message>
    <message>
        <source>Sale amount (Toman)</source>
        <translation>Sale amount (Toman)</translation>
    </message>
    <message>
        <source>Points to spend as a discount</source>
        <translation>Points to spend as a discount</translation>
    </message>
    <message>
        <source>Points to earn</source>
        <translation>Points to earn</translation>
    </message>
    <message>
        <source>Discount</source>
        <translation>Discount</translation>
    </message>
    <message>
        <source>To pay</source>
        <translation>To pay</translation>
    </message>
    <message>
        <source>Balance after</source>
        <translation>Balance after</translation>
    </message>
    <message>
        <source>Earning only: this card cannot spend points until the terminal has an up-to-date list of revoked cards.</source>
        <translation>Earning only: this card cannot spend points until the terminal has an up-to-date list of revoked cards.</translation>
    </message>
    <message>
        <source>Recording…</source>
        <translation>Recording…</translation>
    </message>
    <message>
        <source>Manager override: F8.</source>
        <translation>Manager override: F8.</translation>
    </message>
    <message>
        <source>Pay from the cashback wallet, Toman (F3)</source>
        <translation>Pay from the cashback wallet, Toman (F3)</translation>
    </message>
    <message>
        <source>Product category (F4)</source>
        <translation>Product category (F4)</translation>
    </message>
    <message>
        <source>From the wallet</source>
        <translation>From the wallet</translation>
    </message>
    <message>
        <source>Cashback</source>
        <translation>Cashback</translation>
    </message>
    <message>
        <source>No category</source>
        <translation>No category</translation>
    </message>
    <message>
        <source>Record sale (Enter)</source>
        <translation>Record sale (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>Manager override (F8)</translation>
    </message>
    <message>
        <source>{name} — {tier}</source>
        <translation>{name} — {tier}</translation>
    </message>
    <message>
        <source>Balance: {points}</source>
        <translation>Balance: {points}</translation>
    </message>
    <message>
        <source>{amount}, spendable from tomorrow</source>
        <translation>{amount}, spendable from tomorrow</translation>
    </message>
    <message>
        <source>Campaigns: {campaigns}</source>
        <translation>Campaigns: {campaigns}</translation>
    </message>
    <message>
        <source>Running now: {campaigns}</source>
        <translation>Running now: {campaigns}</translation>
    </message>
    <message>
        <source>The wallet cannot be spent with this card now.</source>
        <translation>The wallet cannot be spent with this card now.</translation>
    </message>
    <message>
        <source>Nothing in the wallet can be spent today.</source>
        <translation>Nothing in the wallet can be spent today.</translation>
    </message>
    <message>
        <source>At most {amount} from the wallet on this sale: up to {percent} of what is left to pay, and no more than is spendable now ({available}).</source>
        <translation>At most {amount} from the wallet on this sale: up to {percent} of what is left to pay, and no more than is spendable now ({available}).</translation>
    </message>
    <message>
        <source>{amount} more from tomorrow.</source>
        <translation>{amount} more from tomorrow.</translation>
    </message>
    <message>
        <source>Restricted member: no points can be spent</source>
        <translation>Restricted member: no points can be spent</translation>
    </message>
    <message>
        <source>The club has put this member on its restricted list; a manager cannot override it.</source>
        <translation>The club has put this member on its restricted list; a manager cannot override it.</translation>
    </message>
    <message>
        <source>Manager override by {name}</source>
        <translation>Manager override by {name}</translation>
    </message>
    <message>
        <source>Reason: {reason}</source>
        <translation>Reason: {reason}</translation>
    </message>
    <message>
        <source>Offline: no points can be spent without a manager</source>
        <translation>Offline: no points can be spent without a manager</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s. Manager override: F8.</source>
        <translation>This terminal&apos;s clock is behind the club server&apos;s. Manager override: F8.</translation>
    </message>
    <message>
        <source>Offline: at most {points} can be spent</source>
        <translation>Offline: at most {points} can be spent</translation>
    </message>
    <message>
        <source>The club server cannot be reached; this is what the member&apos;s offline grant allows. Manager override: F8.</source>
        <translation>The club server cannot be reached; this is what the member&apos;s offline grant allows. Manager override: F8.</translation>
    </message>
    <message>
        <source>At most {points} on this sale ({discount} off): up to {percent}% of the amount, and no more than the member holds. One point is {value}.</source>
        <translation>At most {points} on this sale ({discount} off): up to {percent}% of the amount, and no more than the member holds. One point is {value}.</translation>
    </message>
    <message>
        <source>Points for each {amount} paid: {points}; {tier} members earn {percent}%.</source>
        <translation>Points for each {amount} paid: {points}; {tier} members earn {percent}%.</translation>
    </message>
    <message>
        <source>No points under {amount}.</source>
        <translation>No points under {amount}.</translation>
    </message>
    <message>
        <source>At most {points} a sale.</source>
        <translation>At most {points} a sale.</translation>
    </message>
</context>
<context>
    <name>CrashNotice</name>
    <message>
        <source>Bashgah stopped unexpectedly last time</source>
        <translation>Bashgah stopped unexpectedly last time</translation>
    </message>
    <message>
        <source>A crash report was saved to {path}. If it happens again, send that file to support.</source>
        <translation>A crash report was saved to {path}. If it happens again, send that file to support.</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Dismiss</translation>
    </message>
</context>
<context>
    <name>CrashWatch</name>
    <message>
        <source>Something went wrong in the window. A report was saved to:
{path}

You can go on working. If it happens again, restart Bashgah and send that file to support.</source>
        <translation>Something went wrong in the window. A report was saved to:
{path}

You can go on working. If it happens again, restart Bashgah and send that file to support.</translation>
    </message>
    <message>
        <source>Bashgah: an error</source>
        <translation>Bashgah: an error</translation>
    </message>
</context>
<context>
    <name>DayReportDialog</name>
    <message>
        <source>Only a manager can see the branch&apos;s day report.</source>
        <translation>Only a manager can see the branch&apos;s day report.</translation>
    </message>
    <message>
        <source>Branch day report</source>
        <translation>Branch day report</translation>
    </message>
</context>
<context>
    <name>DoorView</name>
    <message>
        <source>Opening the door…</source>
        <translation>Opening the door…</translation>
    </message>
    <message>
        <source>Look again (F5)</source>
        <translation>Look again (F5)</translation>
    </message>
    <message>
        <source>Several events are open: choose this door&apos;s event</source>
        <translation>Several events are open: choose this door&apos;s event</translation>
    </message>
    <message>
        <source>Tap a card or scan an invitation</source>
        <translation>Tap a card or scan an invitation</translation>
    </message>
    <message>
        <source>A guest without a card? Find them by name or phone (F3).</source>
        <translation>A guest without a card? Find them by name or phone (F3).</translation>
    </message>
    <message>
        <source>Find a guest</source>
        <translation>Find a guest</translation>
    </message>
    <message>
        <source>Name or phone</source>
        <translation>Name or phone</translation>
    </message>
    <message>
        <source>Admit (Enter)</source>
        <translation>Admit (Enter)</translation>
    </message>
    <message>
        <source>Back (Esc)</source>
        <translation>Back (Esc)</translation>
    </message>
    <message>
        <source>Find a guest (F3)</source>
        <translation>Find a guest (F3)</translation>
    </message>
    <message>
        <source>Export attendance (F4)</source>
        <translation>Export attendance (F4)</translation>
    </message>
    <message>
        <source>Admit plus-one (F6)</source>
        <translation>Admit plus-one (F6)</translation>
    </message>
    <message>
        <source>Undo admission (F8)</source>
        <translation>Undo admission (F8)</translation>
    </message>
    <message>
        <source>Back to the till (F7)</source>
        <translation>Back to the till (F7)</translation>
    </message>
    <message>
        <source>{start} to {end}</source>
        <translation>{start} to {end}</translation>
    </message>
    <message>
        <source>Event door</source>
        <translation>Event door</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>no limit</translation>
    </message>
    <message>
        <source>Admitted …, invited …, capacity …</source>
        <translation>Admitted …, invited …, capacity …</translation>
    </message>
    <message>
        <source>Admitted {admitted}, invited {invited}, capacity {capacity}</source>
        <translation>Admitted {admitted}, invited {invited}, capacity {capacity}</translation>
    </message>
    <message>
        <source>Unknown guest</source>
        <translation>Unknown guest</translation>
    </message>
    <message>
        <source>From the card: this guest was never synced here. Compare the photo with their face.</source>
        <translation>From the card: this guest was never synced here. Compare the photo with their face.</translation>
    </message>
    <message>
        <source>ADMIT PLUS-ONE</source>
        <translation>ADMIT PLUS-ONE</translation>
    </message>
    <message>
        <source>ADMIT</source>
        <translation>ADMIT</translation>
    </message>
    <message>
        <source>ALREADY INSIDE</source>
        <translation>ALREADY INSIDE</translation>
    </message>
    <message>
        <source>NOT INVITED</source>
        <translation>NOT INVITED</translation>
    </message>
    <message>
        <source>CARD REFUSED</source>
        <translation>CARD REFUSED</translation>
    </message>
    <message>
        <source>FULL</source>
        <translation>FULL</translation>
    </message>
    <message>
        <source>Admitted at {time}</source>
        <translation>Admitted at {time}</translation>
    </message>
    <message>
        <source>Admitted at {time}, at this door</source>
        <translation>Admitted at {time}, at this door</translation>
    </message>
    <message>
        <source>Admitted at {time}, at door {door}</source>
        <translation>Admitted at {time}, at door {door}</translation>
    </message>
    <message>
        <source>On the guest list</source>
        <translation>On the guest list</translation>
    </message>
    <message>
        <source>Not on the guest list</source>
        <translation>Not on the guest list</translation>
    </message>
    <message>
        <source>No plus-ones</source>
        <translation>No plus-ones</translation>
    </message>
    <message>
        <source>Plus-ones: {admitted} of {allowed} admitted</source>
        <translation>Plus-ones: {admitted} of {allowed} admitted</translation>
    </message>
    <message>
        <source>The admission was undone.</source>
        <translation>The admission was undone.</translation>
    </message>
    <message>
        <source>No guest matches “{query}”.</source>
        <translation>No guest matches “{query}”.</translation>
    </message>
    <message>
        <source>phone ending {tail}</source>
        <translation>phone ending {tail}</translation>
    </message>
    <message>
        <source>inside since {time}</source>
        <translation>inside since {time}</translation>
    </message>
    <message>
        <source>not arrived yet</source>
        <translation>not arrived yet</translation>
    </message>
</context>
<context>
    <name>EnrollDialog</name>
    <message>
        <source>New member</source>
        <translation>New member</translation>
    </message>
    <message>
        <source>&amp;Name</source>
        <translation>&amp;Name</translation>
    </message>
    <message>
        <source>&amp;Mobile phone</source>
        <translation>&amp;Mobile phone</translation>
    </message>
    <message>
        <source>&amp;Birth date</source>
        <translation>&amp;Birth date</translation>
    </message>
    <message>
        <source>National &amp;ID</source>
        <translation>National &amp;ID</translation>
    </message>
    <message>
        <source>Photo</source>
        <translation>Photo</translation>
    </message>
    <message>
        <source>&amp;Referred by</source>
        <translation>&amp;Referred by</translation>
    </message>
    <message>
        <source>First and last name</source>
        <translation>First and last name</translation>
    </message>
    <message>
        <source>09xx xxx xxxx or +country code</source>
        <translation>09xx xxx xxxx or +country code</translation>
    </message>
    <message>
        <source>Optional, 10 digits</source>
        <translation>Optional, 10 digits</translation>
    </message>
    <message>
        <source>Phone of the member who referred them (optional)</source>
        <translation>Phone of the member who referred them (optional)</translation>
    </message>
    <message>
        <source>Agrees to receive offers and news by SMS</source>
        <translation>Agrees to receive offers and news by SMS</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <translation>Choose a file…</translation>
    </message>
    <message>
        <source>Enroll (Enter)</source>
        <translation>Enroll (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>Issue QR (F6)</source>
        <translation>Issue QR (F6)</translation>
    </message>
    <message>
        <source>Write card (F7)</source>
        <translation>Write card (F7)</translation>
    </message>
    <message>
        <source>Save PNG…</source>
        <translation>Save PNG…</translation>
    </message>
    <message>
        <source>Done (Enter)</source>
        <translation>Done (Enter)</translation>
    </message>
    <message>
        <source>Optional. Only its last 4 digits are kept.</source>
        <translation>Optional. Only its last 4 digits are kept.</translation>
    </message>
    <message>
        <source>Camera…</source>
        <translation>Camera…</translation>
    </message>
    <message>
        <source>A mobile number is needed.</source>
        <translation>A mobile number is needed.</translation>
    </message>
    <message>
        <source>Will be saved as {phone}</source>
        <translation>Will be saved as {phone}</translation>
    </message>
    <message>
        <source>Already a member: {name}</source>
        <translation>Already a member: {name}</translation>
    </message>
    <message>
        <source>Not a valid national ID (10 digits with a check digit).</source>
        <translation>Not a valid national ID (10 digits with a check digit).</translation>
    </message>
    <message>
        <source>No member found with “{text}”.</source>
        <translation>No member found with “{text}”.</translation>
    </message>
    <message>
        <source>{count} members match; type the referrer&apos;s phone number.</source>
        <translation>{count} members match; type the referrer&apos;s phone number.</translation>
    </message>
    <message>
        <source>Referred by {name} ({phone})</source>
        <translation>Referred by {name} ({phone})</translation>
    </message>
    <message>
        <source>Choose the member&apos;s photo</source>
        <translation>Choose the member&apos;s photo</translation>
    </message>
    <message>
        <source>Pictures</source>
        <translation>Pictures</translation>
    </message>
    <message>
        <source>Loading the photo…</source>
        <translation>Loading the photo…</translation>
    </message>
    <message>
        <source>No camera is connected to this computer: choose a photo file instead.</source>
        <translation>No camera is connected to this computer: choose a photo file instead.</translation>
    </message>
    <message>
        <source>This installation cannot use a camera: choose a photo file instead.</source>
        <translation>This installation cannot use a camera: choose a photo file instead.</translation>
    </message>
    <message>
        <source>The camera sends no picture: choose a photo file instead.</source>
        <translation>The camera sends no picture: choose a photo file instead.</translation>
    </message>
    <message>
        <source>The camera could not be started: choose a photo file instead.</source>
        <translation>The camera could not be started: choose a photo file instead.</translation>
    </message>
    <message>
        <source>Photo ready ({size} KB)</source>
        <translation>Photo ready ({size} KB)</translation>
    </message>
    <message>
        <source>That file could not be read as a picture (use JPEG or PNG).</source>
        <translation>That file could not be read as a picture (use JPEG or PNG).</translation>
    </message>
    <message>
        <source>Type the member&apos;s name.</source>
        <translation>Type the member&apos;s name.</translation>
    </message>
    <message>
        <source>Finish the birth date, or clear it.</source>
        <translation>Finish the birth date, or clear it.</translation>
    </message>
    <message>
        <source>Wait a moment: the photo is still loading.</source>
        <translation>Wait a moment: the photo is still loading.</translation>
    </message>
    <message>
        <source>This phone number already belongs to {name}. Nothing was saved.</source>
        <translation>This phone number already belongs to {name}. Nothing was saved.</translation>
    </message>
    <message>
        <source>{name} is now a member.</source>
        <translation>{name} is now a member.</translation>
    </message>
    <message>
        <source>Card number: {number}</source>
        <translation>Card number: {number}</translation>
    </message>
    <message>
        <source>Give them a QR code (F6) or write a card (F7).</source>
        <translation>Give them a QR code (F6) or write a card (F7).</translation>
    </message>
    <message>
        <source>Give them a QR code (F6) to show at the counter.</source>
        <translation>Give them a QR code (F6) to show at the counter.</translation>
    </message>
    <message>
        <source>Log in as a manager to issue a QR code.</source>
        <translation>Log in as a manager to issue a QR code.</translation>
    </message>
    <message>
        <source>QR code for card {number}: the member can show it instead of a card.</source>
        <translation>QR code for card {number}: the member can show it instead of a card.</translation>
    </message>
    <message>
        <source>Save the QR code</source>
        <translation>Save the QR code</translation>
    </message>
    <message>
        <source>PNG pictures</source>
        <translation>PNG pictures</translation>
    </message>
    <message>
        <source>Could not save: {reason}</source>
        <translation>Could not save: {reason}</translation>
    </message>
    <message>
        <source>Saved to {path}</source>
        <translation>Saved to {path}</translation>
    </message>
</context>
<context>
    <name>FirstRunWizard</name>
    <message>
        <source>Welcome to Bashgah: set up this terminal</source>
        <translation>Welcome to Bashgah: set up this terminal</translation>
    </message>
    <message>
        <source>Connect to the club server</source>
        <translation>Connect to the club server</translation>
    </message>
    <message>
        <source>Is this the right branch?</source>
        <translation>Is this the right branch?</translation>
    </message>
    <message>
        <source>Test the card reader</source>
        <translation>Test the card reader</translation>
    </message>
    <message>
        <source>Receipt printer</source>
        <translation>Receipt printer</translation>
    </message>
    <message>
        <source>This terminal is ready</source>
        <translation>This terminal is ready</translation>
    </message>
    <message>
        <source>Step {n} of {total}</source>
        <translation>Step {n} of {total}</translation>
    </message>
    <message>
        <source>Choose the language of this terminal. You can switch later with F10.</source>
        <translation>Choose the language of this terminal. You can switch later with F10.</translation>
    </message>
    <message>
        <source>Next</source>
        <translation>Next</translation>
    </message>
    <message>
        <source>The club office gives you the server&apos;s address and a one-time enrolment code (on the back office&apos;s Terminals page). Scan its QR code with the scanner, or type both.</source>
        <translation>The club office gives you the server&apos;s address and a one-time enrolment code (on the back office&apos;s Terminals page). Scan its QR code with the scanner, or type both.</translation>
    </message>
    <message>
        <source>Club server address</source>
        <translation>Club server address</translation>
    </message>
    <message>
        <source>Enrolment code</source>
        <translation>Enrolment code</translation>
    </message>
    <message>
        <source>Check (Enter)</source>
        <translation>Check (Enter)</translation>
    </message>
    <message>
        <source>Back</source>
        <translation>Back</translation>
    </message>
    <message>
        <source>Finish the enrolment</source>
        <translation>Finish the enrolment</translation>
    </message>
    <message>
        <source>Enrol this terminal</source>
        <translation>Enrol this terminal</translation>
    </message>
    <message>
        <source>Put any card on the reader: a club card, a bank card or a travel card will do.</source>
        <translation>Put any card on the reader: a club card, a bank card or a travel card will do.</translation>
    </message>
    <message>
        <source>Readers found</source>
        <translation>Readers found</translation>
    </message>
    <message>
        <source>Look again</source>
        <translation>Look again</translation>
    </message>
    <message>
        <source>Skip</source>
        <translation>Skip</translation>
    </message>
    <message>
        <source>How is the receipt printer connected? You can change it later in the terminal&apos;s settings.</source>
        <translation>How is the receipt printer connected? You can change it later in the terminal&apos;s settings.</translation>
    </message>
    <message>
        <source>USB (its device file)</source>
        <translation>USB (its device file)</translation>
    </message>
    <message>
        <source>Network (its address and port)</source>
        <translation>Network (its address and port)</translation>
    </message>
    <message>
        <source>No receipt printer</source>
        <translation>No receipt printer</translation>
    </message>
    <message>
        <source>Test print</source>
        <translation>Test print</translation>
    </message>
    <message>
        <source>Save and continue</source>
        <translation>Save and continue</translation>
    </message>
    <message>
        <source>Start: the cashier&apos;s login</source>
        <translation>Start: the cashier&apos;s login</translation>
    </message>
    <message>
        <source>Scanned: the address and the code are filled in.</source>
        <translation>Scanned: the address and the code are filled in.</translation>
    </message>
    <message>
        <source>Persian letters were typed: the code is in English letters. Switch the keyboard to English (Alt+Shift) and type it again.</source>
        <translation>Persian letters were typed: the code is in English letters. Switch the keyboard to English (Alt+Shift) and type it again.</translation>
    </message>
    <message>
        <source>Asking the club server…</source>
        <translation>Asking the club server…</translation>
    </message>
    <message>
        <source>This terminal was enrolled with {server}, but the club&apos;s data has not all arrived yet. Press the button to finish.</source>
        <translation>This terminal was enrolled with {server}, but the club&apos;s data has not all arrived yet. Press the button to finish.</translation>
    </message>
    <message>
        <source>The code belongs to this club and branch. Enrol this terminal there?</source>
        <translation>The code belongs to this club and branch. Enrol this terminal there?</translation>
    </message>
    <message>
        <source>Club: {name}</source>
        <translation>Club: {name}</translation>
    </message>
    <message>
        <source>Branch: {name} ({code})</source>
        <translation>Branch: {name} ({code})</translation>
    </message>
    <message>
        <source>Server {server}; the code is valid until {when}</source>
        <translation>Server {server}; the code is valid until {when}</translation>
    </message>
    <message>
        <source>Enrolling this terminal with the club server…</source>
        <translation>Enrolling this terminal with the club server…</translation>
    </message>
    <message>
        <source>Fetching the club&apos;s members, staff and rules…</source>
        <translation>Fetching the club&apos;s members, staff and rules…</translation>
    </message>
    <message>
        <source>Enrolled.</source>
        <translation>Enrolled.</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>ready</translation>
    </message>
    <message>
        <source>a card is on it</source>
        <translation>a card is on it</translation>
    </message>
    <message>
        <source>not available</source>
        <translation>not available</translation>
    </message>
    <message>
        <source>No card reader found. Check that it is plugged into a USB port (try another port) and that its light is on; on Linux the smart card service must run (pcscd: sudo systemctl start pcscd). Then press Look again, or Skip to do it later.</source>
        <translation>No card reader found. Check that it is plugged into a USB port (try another port) and that its light is on; on Linux the smart card service must run (pcscd: sudo systemctl start pcscd). Then press Look again, or Skip to do it later.</translation>
    </message>
    <message>
        <source>Waiting for a card…</source>
        <translation>Waiting for a card…</translation>
    </message>
    <message>
        <source>Card read on {reader}: UID {uid}. The reader works.</source>
        <translation>Card read on {reader}: UID {uid}. The reader works.</translation>
    </message>
    <message>
        <source>A card was seen on {reader} (UID {uid}) but not read ({reason}); the reader works.</source>
        <translation>A card was seen on {reader} (UID {uid}) but not read ({reason}); the reader works.</translation>
    </message>
    <message>
        <source>Device file</source>
        <translation>Device file</translation>
    </message>
    <message>
        <source>Address and port (port 9100 if none)</source>
        <translation>Address and port (port 9100 if none)</translation>
    </message>
    <message>
        <source>Printing a test page…</source>
        <translation>Printing a test page…</translation>
    </message>
    <message>
        <source>The test page was sent. Did it print? If not, check the paper, the cable and the power, then try again.</source>
        <translation>The test page was sent. Did it print? If not, check the paper, the cable and the power, then try again.</translation>
    </message>
    <message>
        <source>The terminal is enrolled and has the club&apos;s data.</source>
        <translation>The terminal is enrolled and has the club&apos;s data.</translation>
    </message>
    <message>
        <source>The terminal is enrolled at {branch} and has the club&apos;s data. The cashiers log in with their name and PIN from now on.</source>
        <translation>The terminal is enrolled at {branch} and has the club&apos;s data. The cashiers log in with their name and PIN from now on.</translation>
    </message>
</context>
<context>
    <name>IdleView</name>
    <message>
        <source>Tap a card or scan a QR</source>
        <translation>Tap a card or scan a QR</translation>
    </message>
    <message>
        <source>or find the member:</source>
        <translation>or find the member:</translation>
    </message>
    <message>
        <source>Phone, card number or part of a name</source>
        <translation>Phone, card number or part of a name</translation>
    </message>
    <message>
        <source>Enroll new member (F2)</source>
        <translation>Enroll new member (F2)</translation>
    </message>
    <message>
        <source>Event door (F7)</source>
        <translation>Event door (F7)</translation>
    </message>
    <message>
        <source>Card refused</source>
        <translation>Card refused</translation>
    </message>
    <message>
        <source>Several members match: choose with ↑ ↓ and Enter, or tap one.</source>
        <translation>Several members match: choose with ↑ ↓ and Enter, or tap one.</translation>
    </message>
    <message>
        <source>No member found for “{query}”. Check it, or enroll a new member (F2).</source>
        <translation>No member found for “{query}”. Check it, or enroll a new member (F2).</translation>
    </message>
    <message>
        <source>phone ending {tail} — {points}</source>
        <translation>phone ending {tail} — {points}</translation>
    </message>
</context>
<context>
    <name>JalaliDateEdit</name>
    <message>
        <source>Day</source>
        <translation>Day</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>Month</translation>
    </message>
    <message>
        <source>Year</source>
        <translation>Year</translation>
    </message>
    <message>
        <source>Day of birth</source>
        <translation>Day of birth</translation>
    </message>
    <message>
        <source>Month of birth</source>
        <translation>Month of birth</translation>
    </message>
    <message>
        <source>Year of birth</source>
        <translation>Year of birth</translation>
    </message>
    <message>
        <source>Clear the birth date</source>
        <translation>Clear the birth date</translation>
    </message>
    <message>
        <source>This month has {days} days</source>
        <translation>This month has {days} days</translation>
    </message>
    <message>
        <source>That day has not come yet</source>
        <translation>That day has not come yet</translation>
    </message>
    <message>
        <source>Too long ago</source>
        <translation>Too long ago</translation>
    </message>
    <message>
        <source>{age} years old</source>
        <translation>{age} years old</translation>
    </message>
    <message>
        <source>{date} Gregorian</source>
        <translation>{date} Gregorian</translation>
    </message>
</context>
<context>
    <name>KioskExitDialog</name>
    <message>
        <source>Close the terminal</source>
        <translation>Close the terminal</translation>
    </message>
    <message>
        <source>A manager closes this terminal with their PIN.</source>
        <translation>A manager closes this terminal with their PIN.</translation>
    </message>
    <message>
        <source>Close the terminal (Enter)</source>
        <translation>Close the terminal (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
</context>
<context>
    <name>LoginView</name>
    <message>
        <source>Who is at the counter?</source>
        <translation>Who is at the counter?</translation>
    </message>
    <message>
        <source>Choose your name (↑ ↓)</source>
        <translation>Choose your name (↑ ↓)</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>PIN</translation>
    </message>
    <message>
        <source>Type your PIN</source>
        <translation>Type your PIN</translation>
    </message>
    <message>
        <source>Log in (Enter)</source>
        <translation>Log in (Enter)</translation>
    </message>
    <message>
        <source>Erase</source>
        <translation>Erase</translation>
    </message>
    <message>
        <source>Cashier</source>
        <translation>Cashier</translation>
    </message>
    <message>
        <source>Event host</source>
        <translation>Event host</translation>
    </message>
    <message>
        <source>Manager</source>
        <translation>Manager</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>No staff are set up on this terminal yet; ask a manager.</source>
        <translation>No staff are set up on this terminal yet; ask a manager.</translation>
    </message>
    <message>
        <source>Choose your name in the list first.</source>
        <translation>Choose your name in the list first.</translation>
    </message>
    <message>
        <source>Type your PIN, then press Enter.</source>
        <translation>Type your PIN, then press Enter.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Bashgah — customer club</source>
        <translation>Bashgah — customer club</translation>
    </message>
    <message>
        <source>Only event hosts and managers work at the door.</source>
        <translation>Only event hosts and managers work at the door.</translation>
    </message>
    <message>
        <source>Export attendance</source>
        <translation>Export attendance</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV files (*.csv)</translation>
    </message>
    <message>
        <source>Attendance saved to {path}</source>
        <translation>Attendance saved to {path}</translation>
    </message>
    <message>
        <source>Place the blank card on the reader…</source>
        <translation>Place the blank card on the reader…</translation>
    </message>
    <message>
        <source>Reverse an entry…</source>
        <translation>Reverse an entry…</translation>
    </message>
    <message>
        <source>Adjust points…</source>
        <translation>Adjust points…</translation>
    </message>
    <message>
        <source>Brand ambassador points…</source>
        <translation>Brand ambassador points…</translation>
    </message>
    <message>
        <source>Branch day report…</source>
        <translation>Branch day report…</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Not found</translation>
    </message>
    <message>
        <source>Log in first, then tap the card again.</source>
        <translation>Log in first, then tap the card again.</translation>
    </message>
    <message>
        <source>Finish or cancel this sale before the next card.</source>
        <translation>Finish or cancel this sale before the next card.</translation>
    </message>
    <message>
        <source>An event invitation: scan it at the event door (F7).</source>
        <translation>An event invitation: scan it at the event door (F7).</translation>
    </message>
    <message>
        <source>Card refused</source>
        <translation>Card refused</translation>
    </message>
    <message>
        <source>Card written.</source>
        <translation>Card written.</translation>
    </message>
</context>
<context>
    <name>MemberView</name>
    <message>
        <source>Points</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>Cashback wallet</source>
        <translation>Cashback wallet</translation>
    </message>
    <message>
        <source>Member since</source>
        <translation>Member since</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Card</translation>
    </message>
    <message>
        <source>Recent activity</source>
        <translation>Recent activity</translation>
    </message>
    <message>
        <source>No purchases or points yet.</source>
        <translation>No purchases or points yet.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>When</translation>
    </message>
    <message>
        <source>What</source>
        <translation>What</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Sync</source>
        <translation>Sync</translation>
    </message>
    <message>
        <source>Checkout (Enter / F5)</source>
        <translation>Checkout (Enter / F5)</translation>
    </message>
    <message>
        <source>Manager (F8)</source>
        <translation>Manager (F8)</translation>
    </message>
    <message>
        <source>Back (Esc)</source>
        <translation>Back (Esc)</translation>
    </message>
    <message>
        <source>Erased member</source>
        <translation>Erased member</translation>
    </message>
    <message>
        <source>Birthday today!</source>
        <translation>Birthday today!</translation>
    </message>
    <message>
        <source>Birthday this week</source>
        <translation>Birthday this week</translation>
    </message>
    <message>
        <source>The club erased this member&apos;s personal data</source>
        <translation>The club erased this member&apos;s personal data</translation>
    </message>
    <message>
        <source>Name, phone, birth date and photo are gone; the points and history stay.</source>
        <translation>Name, phone, birth date and photo are gone; the points and history stay.</translation>
    </message>
    <message>
        <source>Points can be earned but not spent</source>
        <translation>Points can be earned but not spent</translation>
    </message>
    <message>
        <source>The revocation list is old: sync the terminal before spending points or cashback.</source>
        <translation>The revocation list is old: sync the terminal before spending points or cashback.</translation>
    </message>
    <message>
        <source>Now: {campaigns}</source>
        <translation>Now: {campaigns}</translation>
    </message>
    <message>
        <source>{amount} spendable from tomorrow</source>
        <translation>{amount} spendable from tomorrow</translation>
    </message>
    <message>
        <source>{plan} valid until {date}</source>
        <translation>{plan} valid until {date}</translation>
    </message>
    <message>
        <source>Top tier</source>
        <translation>Top tier</translation>
    </message>
    <message>
        <source>{amount} to {tier}</source>
        <translation>{amount} to {tier}</translation>
    </message>
    <message>
        <source>{tier} kept until {date}</source>
        <translation>{tier} kept until {date}</translation>
    </message>
    <message>
        <source>{points} are due to expire at the next sync</source>
        <translation>{points} are due to expire at the next sync</translation>
    </message>
    <message>
        <source>{points} expire on {date}</source>
        <translation>{points} expire on {date}</translation>
    </message>
    <message>
        <source>none yet</source>
        <translation>none yet</translation>
    </message>
    <message>
        <source>{number} (phone)</source>
        <translation>{number} (phone)</translation>
    </message>
    <message>
        <source>{number} ({status})</source>
        <translation>{number} ({status})</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>lost</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>revoked</translation>
    </message>
    <message>
        <source>Recorded on this terminal; the server has not confirmed it yet.</source>
        <translation>Recorded on this terminal; the server has not confirmed it yet.</translation>
    </message>
    <message>
        <source>The club server set this entry aside for review: it is not in the balance, here or anywhere, until the club accepts it.</source>
        <translation>The club server set this entry aside for review: it is not in the balance, here or anywhere, until the club accepts it.</translation>
    </message>
    <message>
        <source>The club office reviewed this entry and confirmed that it does not count, anywhere.</source>
        <translation>The club office reviewed this entry and confirmed that it does not count, anywhere.</translation>
    </message>
    <message>
        <source>Note: {note}</source>
        <translation>Note: {note}</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>not synced yet</translation>
    </message>
    <message>
        <source>set aside: not counted</source>
        <translation>set aside: not counted</translation>
    </message>
    <message>
        <source>refused after review</source>
        <translation>refused after review</translation>
    </message>
    <message>
        <source>Expiry given back</source>
        <translation>Expiry given back</translation>
    </message>
    <message>
        <source>Purchase</source>
        <translation>Purchase</translation>
    </message>
    <message>
        <source>Points spent</source>
        <translation>Points spent</translation>
    </message>
    <message>
        <source>Cashback added</source>
        <translation>Cashback added</translation>
    </message>
    <message>
        <source>Cashback spent</source>
        <translation>Cashback spent</translation>
    </message>
    <message>
        <source>Adjustment</source>
        <translation>Adjustment</translation>
    </message>
    <message>
        <source>Points expired</source>
        <translation>Points expired</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>Bonus</translation>
    </message>
    <message>
        <source>Membership bought</source>
        <translation>Membership bought</translation>
    </message>
    <message>
        <source>Reversal</source>
        <translation>Reversal</translation>
    </message>
    <message>
        <source>Manager override</source>
        <translation>Manager override</translation>
    </message>
</context>
<context>
    <name>MembershipDialog</name>
    <message>
        <source>Manager override: F8.</source>
        <translation>Manager override: F8.</translation>
    </message>
    <message>
        <source>Choose a membership card.</source>
        <translation>Choose a membership card.</translation>
    </message>
    <message>
        <source>{card} renewed: it now runs until {date}.</source>
        <translation>{card} renewed: it now runs until {date}.</translation>
    </message>
    <message>
        <source>{card} bought: valid until {date}.</source>
        <translation>{card} bought: valid until {date}.</translation>
    </message>
    <message>
        <source>Paid {amount}. New balance: {points}.</source>
        <translation>Paid {amount}. New balance: {points}.</translation>
    </message>
    <message>
        <source>Membership card</source>
        <translation>Membership card</translation>
    </message>
    <message>
        <source>Card</source>
        <translation>Card</translation>
    </message>
    <message>
        <source>Price</source>
        <translation>Price</translation>
    </message>
    <message>
        <source>Term</source>
        <translation>Term</translation>
    </message>
    <message>
        <source>Tier</source>
        <translation>Tier</translation>
    </message>
    <message>
        <source>Points towards it</source>
        <translation>Points towards it</translation>
    </message>
    <message>
        <source>List price</source>
        <translation>List price</translation>
    </message>
    <message>
        <source>Points discount</source>
        <translation>Points discount</translation>
    </message>
    <message>
        <source>To pay</source>
        <translation>To pay</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Buy (Enter)</source>
        <translation>Buy (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>Manager override (F8)</translation>
    </message>
    <message>
        <source>The club sells no membership cards.</source>
        <translation>The club sells no membership cards.</translation>
    </message>
    <message>
        <source>{name} holds {points}.</source>
        <translation>{name} holds {points}.</translation>
    </message>
    <message>
        <source>Their {card} runs until {date}.</source>
        <translation>Their {card} runs until {date}.</translation>
    </message>
    <message>
        <source>No membership card runs now.</source>
        <translation>No membership card runs now.</translation>
    </message>
    <message>
        <source>{days} days</source>
        <translation>{days} days</translation>
    </message>
    <message>
        <source>{multiplier} points</source>
        <translation>{multiplier} points</translation>
    </message>
    <message>
        <source>{percent}% off</source>
        <translation>{percent}% off</translation>
    </message>
    <message>
        <source>{percent}% cashback</source>
        <translation>{percent}% cashback</translation>
    </message>
    <message>
        <source>While it runs, the member counts as {tier}: {perks}.</source>
        <translation>While it runs, the member counts as {tier}: {perks}.</translation>
    </message>
    <message>
        <source>This card can only earn points: none go towards a membership until the terminal has an up-to-date list of revoked cards.</source>
        <translation>This card can only earn points: none go towards a membership until the terminal has an up-to-date list of revoked cards.</translation>
    </message>
    <message>
        <source>Up to {points}: each {step} take {percent}% off, at most {most}% off.</source>
        <translation>Up to {points}: each {step} take {percent}% off, at most {most}% off.</translation>
    </message>
    <message>
        <source>Renews the running card until {date}.</source>
        <translation>Renews the running card until {date}.</translation>
    </message>
    <message>
        <source>Replaces the running {card}; valid until {date}.</source>
        <translation>Replaces the running {card}; valid until {date}.</translation>
    </message>
    <message>
        <source>Valid until {date}.</source>
        <translation>Valid until {date}.</translation>
    </message>
</context>
<context>
    <name>OverrideDialog</name>
    <message>
        <source>Manager override</source>
        <translation>Manager override</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s, so {name} cannot spend points offline.</source>
        <translation>This terminal&apos;s clock is behind the club server&apos;s, so {name} cannot spend points offline.</translation>
    </message>
    <message>
        <source>Offline, {name} may spend at most {points} here.</source>
        <translation>Offline, {name} may spend at most {points} here.</translation>
    </message>
    <message>
        <source>This sale spends {points}.</source>
        <translation>This sale spends {points}.</translation>
    </message>
    <message>
        <source>A manager may allow it with their PIN and a reason; the override is recorded.</source>
        <translation>A manager may allow it with their PIN and a reason; the override is recorded.</translation>
    </message>
    <message>
        <source>Allow (Enter)</source>
        <translation>Allow (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
</context>
<context>
    <name>ProgrammeText</name>
    <message>
        <source>{multiplier} points</source>
        <translation>{multiplier} points</translation>
    </message>
    <message>
        <source>{percent} off at the till</source>
        <translation>{percent} off at the till</translation>
    </message>
    <message>
        <source>{tier}: {privileges}</source>
        <translation>{tier}: {privileges}</translation>
    </message>
    <message>
        <source>Free: {services}</source>
        <translation>Free: {services}</translation>
    </message>
    <message>
        <source>Upgraded to {tier}!</source>
        <translation>Upgraded to {tier}!</translation>
    </message>
    <message>
        <source>Clothing</source>
        <translation>Clothing</translation>
    </message>
    <message>
        <source>Cosmetics</source>
        <translation>Cosmetics</translation>
    </message>
    <message>
        <source>Food</source>
        <translation>Food</translation>
    </message>
    <message>
        <source>Electronics</source>
        <translation>Electronics</translation>
    </message>
    <message>
        <source>Books</source>
        <translation>Books</translation>
    </message>
    <message>
        <source>Shoes</source>
        <translation>Shoes</translation>
    </message>
    <message>
        <source>Accessories</source>
        <translation>Accessories</translation>
    </message>
    <message>
        <source>Home</source>
        <translation>Home</translation>
    </message>
    <message>
        <source>Toys</source>
        <translation>Toys</translation>
    </message>
    <message>
        <source>Sports</source>
        <translation>Sports</translation>
    </message>
    <message>
        <source>Birthday bonus</source>
        <translation>Birthday bonus</translation>
    </message>
    <message>
        <source>Welcome bonus for a referred member</source>
        <translation>Welcome bonus for a referred member</translation>
    </message>
    <message>
        <source>Referral bonus</source>
        <translation>Referral bonus</translation>
    </message>
    <message>
        <source>Signup bonus</source>
        <translation>Signup bonus</translation>
    </message>
    <message>
        <source>Survey bonus</source>
        <translation>Survey bonus</translation>
    </message>
    <message>
        <source>Ambassador bonus</source>
        <translation>Ambassador bonus</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>Bonus</translation>
    </message>
</context>
<context>
    <name>ReceiptView</name>
    <message>
        <source>Printing…</source>
        <translation>Printing…</translation>
    </message>
    <message>
        <source>Receipt printed.</source>
        <translation>Receipt printed.</translation>
    </message>
    <message>
        <source>The printer setting “{setting}” is not understood: use file:/dev/usb/lp0, network:HOST[:PORT] or dummy.</source>
        <translation>The printer setting “{setting}” is not understood: use file:/dev/usb/lp0, network:HOST[:PORT] or dummy.</translation>
    </message>
    <message>
        <source>The printer did not take the receipt ({error}). Check that it is on, connected and has paper, then press F6 again.</source>
        <translation>The printer did not take the receipt ({error}). Check that it is on, connected and has paper, then press F6 again.</translation>
    </message>
    <message>
        <source>Save the receipt as PDF</source>
        <translation>Save the receipt as PDF</translation>
    </message>
    <message>
        <source>PDF files (*.pdf)</source>
        <translation>PDF files (*.pdf)</translation>
    </message>
    <message>
        <source>The PDF could not be saved: {error}</source>
        <translation>The PDF could not be saved: {error}</translation>
    </message>
    <message>
        <source>Saved {path}</source>
        <translation>Saved {path}</translation>
    </message>
    <message>
        <source>No receipt printer is configured (setting “{key}”).</source>
        <translation>No receipt printer is configured (setting “{key}”).</translation>
    </message>
    <message>
        <source>Save PDF (F7)</source>
        <translation>Save PDF (F7)</translation>
    </message>
    <message>
        <source>Done (Enter)</source>
        <translation>Done (Enter)</translation>
    </message>
    <message>
        <source>Scan to find this sale</source>
        <translation>Scan to find this sale</translation>
    </message>
    <message>
        <source>No printer configured</source>
        <translation>No printer configured</translation>
    </message>
    <message>
        <source>Print (F6)</source>
        <translation>Print (F6)</translation>
    </message>
    <message>
        <source>How was it? Rate 1–5</source>
        <translation>How was it? Rate 1–5</translation>
    </message>
    <message>
        <source>{points} points, thank you!</source>
        <translation>{points} points, thank you!</translation>
    </message>
    <message>
        <source>Thank you!</source>
        <translation>Thank you!</translation>
    </message>
    <message>
        <source>{points} point added</source>
        <translation>{points} point added</translation>
    </message>
    <message>
        <source>{points} points added</source>
        <translation>{points} points added</translation>
    </message>
    <message>
        <source>Sale recorded</source>
        <translation>Sale recorded</translation>
    </message>
    <message>
        <source>{points} spent: {amount} off</source>
        <translation>{points} spent: {amount} off</translation>
    </message>
    <message>
        <source>New balance: {points}</source>
        <translation>New balance: {points}</translation>
    </message>
    <message>
        <source>Paid: {amount}</source>
        <translation>Paid: {amount}</translation>
    </message>
    <message>
        <source>Invoice {invoice}</source>
        <translation>Invoice {invoice}</translation>
    </message>
    <message>
        <source>This sale had already been recorded; it was not recorded twice.</source>
        <translation>This sale had already been recorded; it was not recorded twice.</translation>
    </message>
    <message>
        <source>Cashback: {amount} to the wallet, spendable from tomorrow</source>
        <translation>Cashback: {amount} to the wallet, spendable from tomorrow</translation>
    </message>
    <message>
        <source>Cashback: {amount} to the wallet</source>
        <translation>Cashback: {amount} to the wallet</translation>
    </message>
    <message>
        <source>From the wallet: {amount}</source>
        <translation>From the wallet: {amount}</translation>
    </message>
    <message>
        <source>Wallet: {amount}</source>
        <translation>Wallet: {amount}</translation>
    </message>
    <message>
        <source>Campaigns: {campaigns}</source>
        <translation>Campaigns: {campaigns}</translation>
    </message>
    <message>
        <source>Bonuses: {bonuses}</source>
        <translation>Bonuses: {bonuses}</translation>
    </message>
</context>
<context>
    <name>ReverseDialog</name>
    <message>
        <source>Choose the entry to reverse.</source>
        <translation>Choose the entry to reverse.</translation>
    </message>
    <message>
        <source>Reversed: {points}. New balance: {balance}.</source>
        <translation>Reversed: {points}. New balance: {balance}.</translation>
    </message>
    <message>
        <source>Reverse an entry</source>
        <translation>Reverse an entry</translation>
    </message>
    <message>
        <source>Choose the entry of {name} to undo. A manager approves it with their PIN.</source>
        <translation>Choose the entry of {name} to undo. A manager approves it with their PIN.</translation>
    </message>
    <message>
        <source>When</source>
        <translation>When</translation>
    </message>
    <message>
        <source>What</source>
        <translation>What</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>Amount</source>
        <translation>Amount</translation>
    </message>
    <message>
        <source>Invoice</source>
        <translation>Invoice</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Reverse (Enter)</source>
        <translation>Reverse (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>{what} (reversed)</source>
        <translation>{what} (reversed)</translation>
    </message>
    <message>
        <source>Expiry given back</source>
        <translation>Expiry given back</translation>
    </message>
    <message>
        <source>Sale</source>
        <translation>Sale</translation>
    </message>
    <message>
        <source>Points spent</source>
        <translation>Points spent</translation>
    </message>
    <message>
        <source>Cashback</source>
        <translation>Cashback</translation>
    </message>
    <message>
        <source>Wallet spent</source>
        <translation>Wallet spent</translation>
    </message>
    <message>
        <source>Adjustment</source>
        <translation>Adjustment</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Expired</translation>
    </message>
    <message>
        <source>Bonus</source>
        <translation>Bonus</translation>
    </message>
    <message>
        <source>Membership</source>
        <translation>Membership</translation>
    </message>
    <message>
        <source>Reversal</source>
        <translation>Reversal</translation>
    </message>
    <message>
        <source>Manager override</source>
        <translation>Manager override</translation>
    </message>
</context>
<context>
    <name>RewardsDialog</name>
    <message>
        <source>Manager override: F8.</source>
        <translation>Manager override: F8.</translation>
    </message>
    <message>
        <source>Out of stock here</source>
        <translation>Out of stock here</translation>
    </message>
    <message>
        <source>This card can only earn points</source>
        <translation>This card can only earn points</translation>
    </message>
    <message>
        <source>{points} short</source>
        <translation>{points} short</translation>
    </message>
    <message>
        <source>Choose a reward that can be given.</source>
        <translation>Choose a reward that can be given.</translation>
    </message>
    <message>
        <source>{reward} given. New balance: {points}. Left here: {left}.</source>
        <translation>{reward} given. New balance: {points}. Left here: {left}.</translation>
    </message>
    <message>
        <source>Gift</source>
        <translation>Gift</translation>
    </message>
    <message>
        <source>Service</source>
        <translation>Service</translation>
    </message>
    <message>
        <source>Rewards</source>
        <translation>Rewards</translation>
    </message>
    <message>
        <source>{name} holds {points}. Choose a reward; its points are spent when it is given.</source>
        <translation>{name} holds {points}. Choose a reward; its points are spent when it is given.</translation>
    </message>
    <message>
        <source>{name} holds {points}. This branch has no rewards to give.</source>
        <translation>{name} holds {points}. This branch has no rewards to give.</translation>
    </message>
    <message>
        <source>Reward</source>
        <translation>Reward</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Kind</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>Points</translation>
    </message>
    <message>
        <source>Left here</source>
        <translation>Left here</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Note</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Give (Enter)</source>
        <translation>Give (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
    <message>
        <source>Manager override (F8)</source>
        <translation>Manager override (F8)</translation>
    </message>
</context>
<context>
    <name>StatusBarWidget</name>
    <message>
        <source>Unsynced: {count}</source>
        <translation>Unsynced: {count}</translation>
    </message>
    <message>
        <source>Staff: {name}</source>
        <translation>Staff: {name}</translation>
    </message>
    <message>
        <source>Server: not enrolled</source>
        <translation>Server: not enrolled</translation>
    </message>
    <message>
        <source>This terminal is not enrolled with a club server: it works on its own, offline.</source>
        <translation>This terminal is not enrolled with a club server: it works on its own, offline.</translation>
    </message>
    <message>
        <source>Nobody logged in</source>
        <translation>Nobody logged in</translation>
    </message>
    <message>
        <source>Branch: {name}</source>
        <translation>Branch: {name}</translation>
    </message>
    <message>
        <source>Demo: F9 taps a member card, Shift+F9 a damaged one</source>
        <translation>Demo: F9 taps a member card, Shift+F9 a damaged one</translation>
    </message>
    <message>
        <source>Synced</source>
        <translation>Synced</translation>
    </message>
    <message>
        <source>Set aside: {count}</source>
        <translation>Set aside: {count}</translation>
    </message>
    <message>
        <source>Entries the club server rejected or holds differently: the club office reviews them.</source>
        <translation>Entries the club server rejected or holds differently: the club office reviews them.</translation>
    </message>
    <message>
        <source>Clock behind</source>
        <translation>Clock behind</translation>
    </message>
    <message>
        <source>This terminal&apos;s clock is behind the club server&apos;s: points cannot be spent offline.</source>
        <translation>This terminal&apos;s clock is behind the club server&apos;s: points cannot be spent offline.</translation>
    </message>
    <message>
        <source>Server: revoked by the club (offline)</source>
        <translation>Server: revoked by the club (offline)</translation>
    </message>
    <message>
        <source>Server: not enrolled there (offline)</source>
        <translation>Server: not enrolled there (offline)</translation>
    </message>
    <message>
        <source>Server: offline since {time}</source>
        <translation>Server: offline since {time}</translation>
    </message>
    <message>
        <source>Server: this terminal was revoked by the club (working offline)</source>
        <translation>Server: this terminal was revoked by the club (working offline)</translation>
    </message>
    <message>
        <source>Server: this terminal is not enrolled on the server (working offline)</source>
        <translation>Server: this terminal is not enrolled on the server (working offline)</translation>
    </message>
    <message>
        <source>Server: connecting…</source>
        <translation>Server: connecting…</translation>
    </message>
    <message>
        <source>Server: online</source>
        <translation>Server: online</translation>
    </message>
    <message>
        <source>Server: offline (never synced)</source>
        <translation>Server: offline (never synced)</translation>
    </message>
    <message>
        <source>Readers: none</source>
        <translation>Readers: none</translation>
    </message>
    <message>
        <source>Readers: none connected</source>
        <translation>Readers: none connected</translation>
    </message>
    <message>
        <source>Readers: {count} ready</source>
        <translation>Readers: {count} ready</translation>
    </message>
</context>
<context>
    <name>UndoAdmissionDialog</name>
    <message>
        <source>The admission was undone.</source>
        <translation>The admission was undone.</translation>
    </message>
    <message>
        <source>Undo an admission</source>
        <translation>Undo an admission</translation>
    </message>
    <message>
        <source>Undo the admission of a plus-one of {name} at {time}?</source>
        <translation>Undo the admission of a plus-one of {name} at {time}?</translation>
    </message>
    <message>
        <source>Undo the admission of {name} at {time}?</source>
        <translation>Undo the admission of {name} at {time}?</translation>
    </message>
    <message>
        <source>A manager approves it with their PIN; the guest no longer counts as inside.</source>
        <translation>A manager approves it with their PIN; the guest no longer counts as inside.</translation>
    </message>
    <message>
        <source>Close (Enter)</source>
        <translation>Close (Enter)</translation>
    </message>
    <message>
        <source>Undo (Enter)</source>
        <translation>Undo (Enter)</translation>
    </message>
    <message>
        <source>Cancel (Esc)</source>
        <translation>Cancel (Esc)</translation>
    </message>
</context>
</TS>
