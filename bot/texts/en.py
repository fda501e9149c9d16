"""English texts: the reference catalogue (every other language has exactly these keys).

Conventions (see ``bot/texts/__init__.py``):

- Keys starting with ``button.``, ``alert.``, ``command.``, ``value.``, ``eta.`` and
  ``state.`` are plain text (buttons, callback alerts, command menu, fragments);
  every other text is Telegram HTML (``<b>``, ``<i>``, ``<code>``, ``<a href>``).
  Values are escaped by ``t()``, so templates never need to.
- Placeholders are plain ``{name}`` fields; their worst-case lengths are in
  ``PLACEHOLDER_LIMITS``.  Keys ending in ``.one`` / ``.other`` are plural forms.
"""

TEXTS: dict[str, str] = {
    # ------------------------------------------------------------------ commands (menu)
    "command.start": "Start and see what I can do",
    "command.style": "Paint a photo in a style: /style starry_night",
    "command.styles": "See all the paintings",
    "command.gallery": "Your latest paintings",
    "command.status": "Your pictures in progress",
    "command.cancel": "Stop your current picture",
    "command.settings": "Default strength, colours, size, faces, brush and language",
    "command.help": "How to use me",
    "command.privacy": "What I keep about you, and for how long",
    "command.forget": "Erase everything I keep about you",

    # ------------------------------------------------------------------ /start, /help
    "start.welcome": (
        "👋 Hi, {name}! I'm Lienzo — I repaint your photos as famous paintings.\n\n"
        "Send me a photo and pick a style, or add a caption like "
        "<code>/style starry_night</code>.\n\n"
        "/styles — see the paintings · /help — all the tricks"
    ),
    "start.welcome_style": (
        "👋 Hi, {name}! Style picked: <b>{style}</b>.\n\n"
        "Now send me a photo and I'll paint it in that style."
    ),
    "help.text": (
        "🎨 <b>How to use Lienzo</b>\n\n"
        "Send a photo with the caption <code>/style starry_night</code> — or just the photo, "
        "and pick a style. I'll show the progress and reply with your painting.\n\n"
        "<b>Mix styles:</b> <code>/style starry_night+the_scream:0.3</code>\n"
        "<b>Two styles:</b> <code>/style starry_night | the_scream</code> — the background "
        "in the first, the person in the second.\n\n"
        "<b>Options</b> (after the style):\n"
        "• <code>strength=low|medium|high|max</code>\n"
        "• <code>colors=keep|style</code> — your photo's colours or the painting's\n"
        "• <code>size=N</code> — long side in pixels, up to {max_side}\n"
        "• <code>quality=instant|fast|balanced|best</code> — instant: a quick sketch at "
        "once, no painting\n"
        "• <code>faces=soft|keep|paint</code> — faces lightly painted (the default), "
        "left as they are, or painted like the rest\n"
        "• <code>brush=small|medium|large</code> — the size of the brushstrokes"
    ),
    "help.more": (
        "<b>Your own painting:</b> send two photos as an album (photo first, painting "
        "second), reply to your photo with the painting, or tap “Use my own painting”.\n\n"
        "<b>In groups:</b> reply to a photo with <code>/style@{bot_username} great_wave</code>.\n\n"
        "/gallery — your latest paintings: paint them again, or delete them.\n"
        "/styles — paintings · /status — your pictures · /cancel — stop · "
        "/settings — defaults"
        "\n\n🔒 /privacy — what I keep about you · /forget — erase it all"
    ),

    # ------------------------------------------------------------------ /privacy, /forget
    "privacy.text": (
        "🔒 <b>What I keep about you</b>\n\n"
        "• Your photos (and any painting you send as a style) only while I paint them, "
        "plus a record of each picture (its style and settings) for {days} days.\n"
        "• The artworks I sent you — full-size copies (for “full resolution”), their "
        "timelapse frames (which begin with your photo) and their Telegram file ids "
        "(for /gallery and sharing) — for {days} days.\n"
        "• Your /settings, until {days} days after you last change them or send "
        "me a picture.\n"
        "• Nothing else: no contacts, no messages beyond the last day's.\n\n"
        "To erase everything now, send /forget."
    ),
    "privacy.payments": (
        "💳 <b>If you buy paintings</b>\n"
        "I keep each payment (its receipt number, Stars, pack, date and any refund) for a "
        "year, and your balance of paid paintings while you have any; which pictures used "
        "a free or a paid painting (no pictures) for {days} days. /forget keeps these: "
        "refunds and disputes need them."
    ),
    "forget.confirm": (
        "🗑 <b>Forget everything about you?</b>\n\n"
        "I'll stop any picture in progress and delete your pictures' records, the "
        "artworks I keep for sharing, your settings, any paintings you uploaded as styles "
        "and the messages I recorded. The pictures already in this chat stay. "
        "This can't be undone."
    ),
    "forget.done": "Done — I've forgotten everything about you.",
    "forget.kept": "👍 OK, I haven't deleted anything.",
    "forget.private_only": (
        "🔒 To erase your data, send /forget to me in a private chat: @{bot_username}"
    ),
    "button.forget_yes": "🗑 Yes, forget me",
    "button.forget_no": "Cancel",
    "alert.not_yours": "Only the person who asked can press these buttons.",

    # ------------------------------------------------------------ styles & the picker
    "styles.caption": (
        "🖼 <b>{count} paintings</b> to choose from. Tap one below, or write its name "
        "in your photo's caption: <code>/style great_wave</code>"
    ),
    "picker.prompt": "🎨 Nice photo! Which painting should I use?",
    "picker.chosen": "🎨 {style} — great choice!",
    "style.chosen": "🎨 <b>{style}</b> it is! Now send me a photo.",
    "style.need_photo": (
        "📷 Reply to a photo with this command, or send a photo with it as the caption."
    ),
    # a file the bot cannot paint (bot/handlers/unpaintable.py)
    "unpaintable.file": (
        "🤔 I can't paint that. Send me a photo, or a picture as a JPEG, PNG or WebP file."
    ),
    "style.own": "your own painting",
    "own.prompt": "🖼 Send me the painting whose style I should use (as a photo).",
    "own.album": "🖼 Got it: I'll paint the first photo in the style of the second.",
    "note.size_capped": (
        "📐 The biggest I can paint here is {max_side} px, so I used that instead of "
        "{requested}."
    ),

    # ------------------------------------------------------------------ queue & progress
    "received": "⏳ Got it — one moment…",
    "queued.first": "⏳ You're first in line — starting in a moment.",
    "queued.ahead.one": "⏳ Queued — {count} ahead of you.",
    "queued.ahead.other": "⏳ Queued — {count} ahead of you.",
    "queued.offline": (
        "😴 The painter is offline right now; I'll paint this as soon as it's back."
    ),
    "look.first": "👀 A first look — the real painting follows.",
    "look.offer_instant": "⚡ Or take an instant picture now: a quick sketch, not a painting.",
    "look.painting": "🖌 The painting has begun from your photo; the first look was a sketch.",
    "instant.started": "⚡ Making your instant picture…",
    "instant.too_late": "This picture is no longer waiting: too late for an instant one.",
    "instant.refused": (
        "😔 I couldn't make an instant picture of this one; it stays in line for the "
        "painter."
    ),
    "progress.starting": "🎨 Getting my brushes ready…",
    "progress.line": "🎨 Painting… {bar} {percent}% · {eta}",
    "progress.line_no_eta": "🎨 Painting… {bar} {percent}%",
    "progress.finishing": "🖼 Almost there — adding the final touches…",
    "eta.almost": "almost done",
    "eta.seconds": "about {count} s left",
    "eta.minute": "about 1 min left",
    "eta.minutes": "about {count} min left",
    "eta.hours": "about {count} h left",

    # ------------------------------------------------------------------ results
    "done.caption": "✨ {style}\nPainted in {seconds} s.",
    "done.caption_group": (
        "✨ {style}\nPainted in {seconds} s for "
        "<a href=\"tg://user?id={user_id}\">{requester}</a>."
    ),
    "done.time_limit": (
        "⏱ I hit the time limit ({limit} s), so this is the best version so far."
    ),
    "inline.caption": "🎨 {style} · painted with @{bot_username}",
    "artworks.caption": "🖼 {index} of {count} — {style} · {date}",
    "artworks.empty": "You have no paintings yet — send me a photo!",
    "artworks.private_only": "🖼 Your gallery opens in our private chat — tap below.",
    "done.deep_link": "<a href=\"{url}\">🖌 Paint yours in this style</a>",
    "done.instant": (
        "⚡ An instant picture: a quick sketch in the style. For a real painting, send "
        "it again with <code>quality=balanced</code>."
    ),
    "done.ready": "✨ Your painting is ready!",
    "done.as_file": "📎 Too big to send as a photo, so here it is as a file.",
    "done.full_caption": "📥 Full resolution — {width}×{height} px",
    "done.timelapse_caption": "🎞 How your picture was painted",

    # ------------------------------------------------------------------ buttons
    "button.another_style": "🎨 Another style",
    "button.stronger": "➕ Stronger",
    "button.weaker": "➖ Softer",
    "button.keep_colors": "🌈 Keep my colours",
    "button.style_colors": "🖌 Painting's colours",
    "button.full_res": "📥 Full resolution",
    "button.timelapse": "🎞 Timelapse",
    "button.share": "📤 Share",
    "button.inline_empty": "No paintings yet — make one!",
    "button.new_seed": "🎲 New seed",
    "button.delete": "🗑 Delete",
    "button.open_gallery": "🖼 Open my gallery",
    "button.cancel": "✖️ Cancel",
    "button.instant": "⚡ Instant picture now",
    "button.prev": "◀️ Prev",
    "button.next": "Next ▶️",
    "button.page": "{page}/{pages}",
    "button.own_painting": "🖼 Use my own painting",
    "button.set_strength": "💪 Strength",
    "button.set_colors": "🌈 Colours",
    "button.set_size": "📐 Size",
    "button.set_quality": "✨ Quality",
    "button.set_faces": "🙂 Faces",
    "button.set_brush": "🖌 Brush",
    "button.set_previews": "🎬 Live preview",
    "button.set_language": "🌍 Language",
    "button.back": "‹ Back",
    "button.close": "✅ Done",

    # ------------------------------------------------------------------ /status, /cancel
    "status.header": "🗂 <b>Your pictures</b>",
    "status.line": "{index}. {style} — {state}",
    "status.empty": "You have nothing in progress. Send me a photo to start! 📷",
    "state.queued": "waiting",
    "state.running": "painting, {percent}%",
    "state.done": "finished",
    "state.failed": "failed",
    "state.cancelled": "cancelled",
    "state.delivered": "sent",
    "cancel.done": "✖️ Cancelled.",
    "cancel.count.one": "✖️ Cancelled {count} picture.",
    "cancel.count.other": "✖️ Cancelled {count} pictures.",
    "cancel.nothing": "Nothing to cancel — you have no pictures in progress.",

    # ------------------------------------------------------------------ /settings
    "settings.text": (
        "⚙️ <b>Your settings</b>\n\n"
        "Strength: {strength}\n"
        "Colours: {colors}\n"
        "Size: {size}\n"
        "Quality: {quality}\n"
        "Faces: {faces}\n"
        "Brush: {brush}\n"
        "Live preview: {previews}\n"
        "Language: {language}\n\n"
        "I use these whenever your caption doesn't say otherwise."
    ),
    "settings.pick_strength": "💪 How strong should the painting be?",
    "settings.pick_colors": "🌈 Whose colours should the picture have?",
    "settings.pick_size": "📐 How big (long side, in pixels)?",
    "settings.pick_quality": "✨ Which quality? Better takes longer.",
    "settings.pick_faces": (
        "🙂 What should I do with the faces in your photos?\n\n"
        "<b>Gently painted</b>: they keep their features and colours, with a light touch "
        "of the style. <b>Left as they are</b>: no brushwork on them. "
        "<b>Painted like the rest</b>: no protection."
    ),
    "settings.pick_brush": "🖌 How big should the brushstrokes be?",
    "settings.pick_previews": (
        "🎬 While I paint, should the picture above the progress bar show the painting "
        "as it forms?"
    ),
    "settings.pick_language": "🌍 Which language should I speak?",
    "settings.language_set": "🌍 I'll speak English from now on.",

    # ------------------------------------------------------------------ the studio (bot.studio)
    "button.studio": "🎨 Studio",
    "button.studio_menu": "Studio",
    "studio.open": "🎨 The studio: pick a painting by sight, tune your settings and compare "
                   "your paintings with your photos.",
    "studio.mix_caption": "🎨 {style}, {percent}% over your photo",
    "page.field.strength": "Strength",
    "page.field.colors": "Colours",
    "page.field.brush": "Brush",
    "page.field.faces": "Faces",
    "page.field.previews": "Live preview",
    "page.field.quality": "Quality",
    "page.field.size": "Size",
    "page.field.language": "Language",
    "page.own_painting": "Your own painting",
    "page.answer.chosen": "{style} it is! Send me a photo in the chat and I'll paint it.",
    "page.answer.painting": "On it! Your painting is on its way to the chat.",
    "page.answer.sent": "Sent! It's in the chat.",
    "page.error.setting": "That setting doesn't exist. Reopen the studio and try again.",
    "page.error.painting": "That painting isn't in the catalogue any more.",
    "page.error.no_photo": "I have no recent photo of yours. Send me one in the chat first.",
    "page.error.artwork": "That painting isn't in your gallery any more.",
    "page.error.mix": "The mix goes from 0 to 100%.",
    "page.error.gone": "Telegram no longer has the photo or the painting, so I can't mix them.",
    "page.error.write": "I can't write to you: open the chat with me, press Start, and try again.",
    "page.error.expired": (
        "This page has been open too long. Close it and open it again from the bot."),
    "page.error.busy": "That's a lot at once: wait a second and try again.",
    "value.strength.low": "Light",
    "value.strength.medium": "Medium",
    "value.strength.high": "Strong",
    "value.strength.max": "Maximum",
    "value.strength.custom": "×{value}",
    "value.colors.style": "The painting's",
    "value.colors.keep": "My photo's",
    "value.colors.match": "Matched to my photo",
    "value.quality.instant": "Instant (a sketch)",
    "value.quality.fast": "Fast",
    "value.quality.balanced": "Balanced",
    "value.quality.best": "Best",
    "value.size": "{size} px",
    "value.faces.soft": "Gently painted",
    "value.faces.keep": "Left as they are",
    "value.faces.paint": "Painted like the rest",
    "value.brush.small": "Small",
    "value.brush.medium": "Medium",
    "value.brush.large": "Large",
    "value.previews.on": "On",
    "value.previews.off": "Off",
    "value.split": "{background}, the person in {person}",
    "value.default": "Default ({value})",

    # ------------------------------------------------------------------ admin
    "admin.only": "🔒 That command is for admins only.",

    # ------------------------------------------------------------ fair use & Stars
    "command.balance": "Your free and paid paintings",
    "command.paysupport": "Help with a payment",
    "state.held": "kept: no painting left today",
    "eta.in_minutes": "{minutes} min",
    "eta.in_hours": "{hours} h {minutes} min",
    "quota.held.one": (
        "🎟 You've had today's free painting. Your photo is kept: I'll paint it when the "
        "next free one comes, at midnight UTC (in {wait})."
    ),
    "quota.held.other": (
        "🎟 You've had today's {count} free paintings. Your photo is kept: I'll paint it "
        "when the next free one comes, at midnight UTC (in {wait})."
    ),
    "quota.buy": "⭐ Or get a pack of paintings and I'll paint it right away:",
    "quota.tomorrow": "Or tap Cancel if you'd rather not wait.",
    "quota.released": "🎟 Painting your kept photo now!",
    "quota.given_back": "🎟 This one didn't count: you have that painting back.",
    "button.pack.one": "⭐ 1 painting — {stars} Stars",
    "button.pack.other": "⭐ {count} paintings — {stars} Stars",
    "button.pay": "Pay ⭐ {stars}",
    "invoice.title.one": "1 Lienzo painting",
    "invoice.title.other": "{count} Lienzo paintings",
    "invoice.description.one": (
        "A painting of your photo, in any style, to use whenever you like. "
        "Your free paintings each day stay free."
    ),
    "invoice.description.other": (
        "{count} paintings of your photos, in any style, to use whenever you like. "
        "Your free paintings each day stay free."
    ),
    "invoice.label.one": "1 painting",
    "invoice.label.other": "{count} paintings",
    "alert.invoice_sent": "⭐ I've sent the invoice to our private chat.",
    "alert.invoice_failed": "Sorry, I couldn't make the invoice just now. Please try again.",
    "alert.pack_gone": "This pack is no longer on sale. See /balance for the packs there are now.",
    "alert.pay_refused": (
        "This invoice is not valid any more (its pack is no longer sold, or it was made "
        "for someone else). Ask for a new one with /balance."
    ),
    "pay.receipt": (
        "⭐ Thank you! Paintings added: {paintings}, for {stars} Stars. "
        "Paid paintings you have now: {paid}.\n"
        "Your receipt: <code>{charge}</code> (for /paysupport)."
    ),
    "balance.text": (
        "🎟 <b>Your paintings</b>\n"
        "Free today: {free_left} of {free} (more at midnight UTC, in {wait})\n"
        "Paid: {paid}"
    ),
    "paysupport.nothing_sold": "🎨 Nothing is sold here: painting is free.",
    "paysupport.operator": "💬 <b>Help with a payment</b>\n\n{text}",
    "paysupport.default": (
        "💬 <b>Help with a payment</b>\n\n"
        "Write to the people who run this bot, with the receipt number I sent after your "
        "payment. If a painting fails on my side, I give it back myself."
    ),
    "refund.usage": "Usage: <code>/refund charge_id</code> (the receipt number).",
    "refund.unknown": "🤔 I have no payment <code>{charge}</code>.",
    "refund.not_found": "🤔 Telegram has no payment <code>{charge}</code> to refund.",
    "refund.already": "↩️ Payment <code>{charge}</code> was refunded already.",
    "refund.done": (
        "↩️ Refunded {stars} Stars to {user_id} for <code>{charge}</code>; "
        "paintings taken back: {paintings}."
    ),
    "refund.user": "↩️ Your {stars} Stars were refunded; paintings taken back: {paintings}.",
    "stats.header": "📊 <b>Lienzo stats</b>",
    "stats.queue": "Queue: {queued} waiting · {running} painting",
    "stats.today": "Today: {done} done · {failed} failed · {mean_s} s on average",
    "stats.workers": "Workers alive: {count}",
    "stats.worker": "• <code>{worker}</code> — {device}, {backend} · idle",
    "stats.worker_busy": "• <code>{worker}</code> — {device}, {backend} · busy",
    "stats.no_workers": "⚠️ No engine worker is alive — jobs will wait.",

    # ------------------------------------------------------------------ alerts (≤ 200 chars)
    "alert.not_requester": "Only the person who asked for this picture can use these buttons.",
    "alert.expired": "This button has expired.",
    "alert.no_timelapse": "There is no timelapse of this picture (any more).",
    "alert.saved": "✅ Saved",
    "alert.queued": "⏳ Queued!",
    "alert.cancelled": "✖️ Cancelled",
    "alert.nothing_to_cancel": "Nothing to cancel.",
    "alert.strongest": "That's already the strongest.",
    "alert.weakest": "That's already the softest.",
    "alert.deleted": "🗑 Deleted",

    # ------------------------------------------------------------------ errors: images & engine
    "error.bad_image": "😕 I couldn't use that image. Please send a normal photo (JPEG or PNG).",
    "error.empty_image": "😕 That file is empty. Please send the photo again.",
    "error.not_an_image": (
        "🤔 That doesn't look like an image. Send me a photo (JPEG, PNG or WebP)."
    ),
    "error.image_too_large": "🐘 That image is too big for me. Please send a smaller one.",
    "error.image_too_small": "🔍 That image is too small to paint. Please send a bigger one.",
    "error.corrupt_image": "💔 That image seems damaged. Could you send it again?",
    "error.unknown_style": (
        "🤷 I don't know a style called “{style}”. Did you mean one of these?"
    ),
    "error.unknown_style_none": (
        "🤷 I don't know a style called “{style}”. Send /styles to see them all."
    ),
    "error.style_unavailable": (
        "🖼 That painting isn't available right now. Please pick another one."
    ),
    "error.weights_unavailable": (
        "🛠 My painting engine isn't set up properly right now. Please try again later."
    ),
    "error.invalid_params": (
        "⚙️ Those options don't work together. Try different ones, or see /help."
    ),
    "error.cancelled": "✖️ Cancelled.",
    "error.out_of_memory": (
        "🧠 That was too much for me at this size. Try a smaller one, "
        "e.g. <code>size=512</code>."
    ),
    "error.engine_error": "😔 Something went wrong while painting. Please try again.",
    "error.look_failed": (
        "😔 I couldn't make an instant picture of this one. Try a painted quality, "
        "e.g. <code>quality=fast</code>."
    ),
    "error.worker_lost": (
        "😔 Sorry — I tried several times but couldn't finish your picture. "
        "Please send it again."
    ),
    "error.bad_result": "😔 Something went wrong on my side. Please send the photo again.",
    "error.queue_timeout": (
        "😔 Sorry — the painter has been away too long and I couldn't get to this picture. "
        "Please send it again a bit later."
    ),
    "error.queue_unavailable": (
        "🚧 I can't reach my studio right now. Please try again in a minute."
    ),

    # ------------------------------------------------------------------ errors: bot limits
    "error.file_too_big": (
        "📦 That file is too big — I can only download up to {max_mb} MB. "
        "Try sending it as a photo instead."
    ),
    "error.user_limit": (
        "✋ You already have the most pictures I can queue for you ({limit}). "
        "Wait for one to finish, then send the next."
    ),
    "error.queue_full": "😅 I'm really busy right now. Please try again in a few minutes.",
    "error.chat_not_allowed": "🔒 Sorry, I'm not available in this chat.",
    "error.not_your_job": "🙅 That picture belongs to someone else.",
    "error.unknown_job": "🤔 I can't find that picture anymore.",
    "error.photo_gone": "🤔 I can't find that photo anymore — please send it again.",

    # ------------------------------------------------------------------ errors: what was asked
    "error.empty_request": (
        "🎨 Which style? Write its name, like <code>/style starry_night</code>, "
        "or see /styles."
    ),
    "error.bad_option": (
        "🤔 I don't know the option “{option}”. I understand <code>strength=</code>, "
        "<code>colors=</code>, <code>size=</code>, <code>quality=</code>, "
        "<code>seed=</code>, <code>faces=</code> and <code>brush=</code>."
    ),
    "error.bad_value.strength": (
        "🤔 “{value}” isn't a strength I know. Use <code>low</code>, <code>medium</code>, "
        "<code>high</code>, <code>max</code> or a number from 0.1 to 100."
    ),
    "error.bad_value.colors": (
        "🤔 “{value}” isn't a colour option. Use <code>keep</code> (your photo's colours), "
        "<code>style</code> (the painting's) or <code>match</code>."
    ),
    "error.bad_value.size": (
        "🤔 “{value}” isn't a size I can paint. Use a number of pixels from {min} to {max}."
    ),
    "error.bad_value.quality": (
        "🤔 “{value}” isn't a quality. Use <code>instant</code>, <code>fast</code>, "
        "<code>balanced</code> or <code>best</code>."
    ),
    "error.bad_value.faces": (
        "🤔 “{value}” isn't a choice for faces. Use <code>soft</code> (gently painted), "
        "<code>keep</code> (left as they are) or <code>paint</code> (painted like the rest)."
    ),
    "error.bad_value.brush": (
        "🤔 “{value}” isn't a brush size. Use <code>small</code>, <code>medium</code> or "
        "<code>large</code>."
    ),
    "error.bad_value.seed": (
        "🤔 “{value}” isn't a seed. Use a whole number, like <code>seed=42</code>."
    ),
    "error.too_many_styles": "🎨 That's a lot of paint! You can mix up to {max} styles.",
    "error.bad_weight": (
        "🤔 “{value}” isn't a weight I understand for {style}. Use a positive number, "
        "like <code>the_scream:0.3</code>."
    ),
    "error.bad_blend": (
        "🎨 Something's off in that mix. Write it like "
        "<code>starry_night+the_scream:0.3</code>."
    ),
    "error.bad_split": (
        "🎨 To split the picture, write one style on each side of the bar, like "
        "<code>/style starry_night | the_scream</code>: the background in the first, "
        "the person in the second."
    ),
    "error.bad_split.parts": (
        "🎨 A picture splits into two: the background and the person. Write two styles, "
        "like <code>/style starry_night | the_scream</code>."
    ),
    "error.bad_split.blend": (
        "🎨 Each side of the bar takes one style, not a mix: "
        "<code>/style starry_night | the_scream</code>."
    ),
    "error.bad_split.same": (
        "🎨 That's the same style on both sides, so just write it once: "
        "<code>/style starry_night</code>."
    ),
    "error.bad_split.painting": (
        "🎨 A split takes the two styles you named, so I can't add your own painting too. "
        "Send the photo alone with the caption, or mix the styles with <code>+</code>."
    ),
    # ------------------------------------------------------------------ clips (GIFs, videos)
    "unpaintable.clip": (
        "🎞 I paint GIFs and videos sent on their own, not as files, stickers or in an "
        "album. Send it again as a GIF or a video (up to 20 MB), or send me a photo."
    ),
    "picker.prompt_clip": "🎞 Nice clip! Which painting should I use?",
    "clip.estimate.seconds": "🎞 {frames} frames: about {seconds} s of painting once it starts.",
    "clip.estimate.minutes": "🎞 {frames} frames: about {count} min of painting once it starts.",
    "clip.cut": "✂️ Your clip is longer than {seconds} s, so I'll paint its first {seconds} s.",
    "progress.frame": "🎞 Frame {frame} of {frames}",
    "error.bad_clip": "😕 I couldn't use that clip. Please send a GIF or a short video (MP4).",
    "error.not_a_clip": "🤔 That doesn't look like a GIF or a video. Send me a GIF or a short MP4.",
    "error.corrupt_clip": "💔 That clip seems damaged. Could you send it again?",
    "error.clip_too_large": (
        "🐘 That clip is {mb} MB; I can take up to {limit_mb} MB. Please send a shorter one."
    ),
    "error.clip_too_large_frames": (
        "🐘 That clip's frames are {side} px across; I can take up to {limit} px."
    ),
    "error.clip_file_too_big": (
        "📦 That clip is too big — I can only download up to {max_mb} MB. "
        "Please send a shorter or smaller one."
    ),
    # ------------------------------------------------------------------ studio (web page)
    "page.title": "Lienzo studio",
    "page.tab.paintings": "Paintings",
    "page.tab.settings": "Settings",
    "page.tab.artworks": "My paintings",
    "page.search": "Search paintings and artists",
    "page.no_results": "No painting matches that. Try another word.",
    "page.use_next": "Use for my next photo",
    "page.paint_last": "Paint my last photo",
    "page.painting_hint": "Pick it now, then send me a photo in the chat.",
    "page.settings_hint": "I use these for every photo, unless your caption says otherwise.",
    "page.saved": "Saved",
    "page.empty_artworks": (
        "Nothing here yet. Send me a photo in the chat, pick a painting, and your "
        "paintings will show up here."
    ),
    "page.before": "Photo",
    "page.after": "Painting",
    "page.compare": "Compare your photo and the painting",
    "page.mix": "Mix",
    "page.mix_hint": "How much of the painting goes over your photo.",
    "page.send_version": "Send this version",
    "page.share": "Share",
    "page.delete": "Delete",
    "page.delete_confirm": "Delete this painting? This can't be undone.",
    "page.loading": "Loading…",
    "page.retry": "Try again",
    "page.error.auth": (
        "This page only works when opened from Lienzo in Telegram. Close it and open it "
        "again from the bot."
    ),
    "page.error.network": "Couldn't reach Lienzo. Check your connection and try again.",

    # ------------------------------------------------------------------ prints (🖨 Print)
    "button.print": "🖨 Print",
    "alert.print_started": "🖨 Print ordered",
    "alert.print_busy": (
        "🖨 You already have a print on its way. One at a time, please: I'll send it as "
        "soon as it's ready."
    ),
    "alert.print_clip": "A moving picture can't be printed: prints are for still paintings.",
    "alert.print_instant": (
        "An instant sketch can't be printed. Paint the photo first (quality=balanced), "
        "then print the painting."
    ),
    "alert.print_gone": (
        "I can't print this: I no longer keep this painting's photo (forgotten, or too "
        "old). Send the photo again to paint it anew."
    ),
    "print.heading": "🖨 Print, {side} px on its long side",
    "print.scale": "🔍 Scale {scale} of {scales}",
    "print.ordered": "Got it — fetching your photo…",
    "print.waits": "Prints let new paintings go first, then take up to {minutes} min.",
    "print.photo_gone": (
        "🖨 I can't print this: Telegram no longer has your photo (it was deleted, or "
        "you asked me to forget it). Your painting stays as it is; send the photo again "
        "to paint it anew."
    ),
    "print.caption": "🖨 {style}\nPrinted at {width}×{height} px (JPEG, quality 95).",
    "print.upscaled": (
        "🔍 Upscaled from {width}×{height}: your photo was smaller than the print, so I "
        "enlarged it first and painted the strokes at print size."
    ),
    "print.png": "🖨 The same print, lossless (PNG).",
    "print.png_too_big": (
        "The lossless PNG would be {mb} MB, over the {limit_mb} MB a bot may send, so "
        "the JPEG is the print."
    ),
}
