"""Textos en español (mismas claves y marcadores que ``en.py``).

Español neutro, de tú, corto y cercano.  Los nombres de opciones en español que
se muestran aquí (``fuerza=``, ``colores=``, ``tamaño=``, ``calidad=``, ``caras=``,
``pincel=``) los entiende ``bot/request/``.
"""

TEXTS: dict[str, str] = {
    # ------------------------------------------------------------------ comandos (menú)
    "command.start": "Empezar y ver qué puedo hacer",
    "command.style": "Pinta una foto con un estilo: /style starry_night",
    "command.styles": "Ver todos los cuadros",
    "command.gallery": "Tus últimos cuadros",
    "command.status": "Tus fotos en proceso",
    "command.cancel": "Detener tu foto en curso",
    "command.settings": "Fuerza, colores, tamaño, caras, pincel e idioma por defecto",
    "command.help": "Cómo usarme",
    "command.privacy": "Qué guardo sobre ti y durante cuánto tiempo",
    "command.forget": "Borrar todo lo que guardo sobre ti",

    # ------------------------------------------------------------------ /start, /help
    "start.welcome": (
        "👋 ¡Hola, {name}! Soy Lienzo: convierto tus fotos en cuadros famosos.\n\n"
        "Envíame una foto y elige un estilo, o escribe en el texto de la foto algo como "
        "<code>/style starry_night</code>.\n\n"
        "/styles — ver los cuadros · /help — todos los trucos"
    ),
    "start.welcome_style": (
        "👋 ¡Hola, {name}! Estilo elegido: <b>{style}</b>.\n\n"
        "Ahora envíame una foto y la pinto con ese estilo."
    ),
    "help.text": (
        "🎨 <b>Cómo usar Lienzo</b>\n\n"
        "Envía una foto con el texto <code>/style starry_night</code>, o solo la foto y "
        "eliges un estilo. Verás el progreso y te responderé con tu cuadro.\n\n"
        "<b>Mezcla estilos:</b> <code>/style starry_night+the_scream:0.3</code>\n"
        "<b>Dos estilos:</b> <code>/style starry_night | the_scream</code>: el fondo con el "
        "primero, la persona con el segundo.\n\n"
        "<b>Opciones</b> (después del estilo):\n"
        "• <code>fuerza=baja|media|alta|max</code>\n"
        "• <code>colores=mantener|estilo</code>: los de tu foto o los del cuadro\n"
        "• <code>tamaño=N</code>: lado largo en píxeles, hasta {max_side}\n"
        "• <code>calidad=instantanea|rapida|normal|mejor</code> — instantánea: un boceto "
        "al momento, sin pintar\n"
        "• <code>caras=suave|conservar|pintar</code>: las caras pintadas con suavidad "
        "(lo normal), tal cual o como el resto\n"
        "• <code>pincel=pequeño|mediano|grande</code>: el tamaño de las pinceladas"
    ),
    "help.more": (
        "<b>Tu propio cuadro:</b> envía dos fotos como álbum (primero la foto, luego el "
        "cuadro), responde a tu foto con el cuadro o toca «Usar mi propio cuadro».\n\n"
        "<b>En grupos:</b> responde a una foto con "
        "<code>/style@{bot_username} great_wave</code>.\n\n"
        "/gallery — tus últimos cuadros: píntalos de nuevo o bórralos.\n"
        "/styles — cuadros · /status — tus fotos · /cancel — detener · "
        "/settings — ajustes"
        "\n\n🔒 /privacy — qué guardo sobre ti · /forget — borrarlo todo"
    ),

    # ------------------------------------------------------------------ /privacy, /forget
    "privacy.text": (
        "🔒 <b>Qué guardo sobre ti</b>\n\n"
        "• Tus fotos (y los cuadros que envíes como estilo) solo mientras las pinto, "
        "más un registro de cada imagen (su estilo y ajustes) durante {days} días.\n"
        "• Los cuadros que te envié — copias a tamaño completo (para «resolución completa»), "
        "los fotogramas de su timelapse (que empiezan con tu foto) y sus identificadores "
        "de Telegram (para /gallery y compartir) — durante {days} días.\n"
        "• Tus /settings, hasta {days} días después de que los cambies o me envíes "
        "una imagen por última vez.\n"
        "• Nada más: ni contactos, ni mensajes más allá de los del último día.\n\n"
        "Para borrarlo todo ahora, envía /forget."
    ),
    "privacy.payments": (
        "💳 <b>Si compras cuadros</b>\n"
        "Guardo cada pago (su número de recibo, Stars, paquete, fecha y cualquier "
        "reembolso) durante un año, y tu saldo de cuadros pagados mientras te queden; qué "
        "fotos usaron un cuadro gratis o pagado (sin fotos) durante {days} días. /forget "
        "los conserva: los reembolsos y las reclamaciones los necesitan."
    ),
    "forget.confirm": (
        "🗑 <b>¿Olvido todo sobre ti?</b>\n\n"
        "Detendré las imágenes en curso y borraré los registros de tus imágenes, los "
        "cuadros que guardo para compartir, tus ajustes, los cuadros que subiste como "
        "estilo y los mensajes que registré. Las imágenes que ya están en este chat se "
        "quedan. No se puede deshacer."
    ),
    "forget.done": "Hecho: he olvidado todo sobre ti.",
    "forget.kept": "👍 De acuerdo, no he borrado nada.",
    "forget.private_only": (
        "🔒 Para borrar tus datos, envíame /forget en un chat privado: @{bot_username}"
    ),
    "button.forget_yes": "🗑 Sí, olvídame",
    "button.forget_no": "Cancelar",
    "alert.not_yours": "Solo quien lo pidió puede pulsar estos botones.",

    # ------------------------------------------------------------------ estilos y galería
    "styles.caption": (
        "🖼 <b>{count} cuadros</b> para elegir. Toca uno abajo o escribe su nombre en el "
        "texto de tu foto: <code>/style great_wave</code>"
    ),
    "picker.prompt": "🎨 ¡Buena foto! ¿Con qué cuadro la pinto?",
    "picker.chosen": "🎨 {style}: ¡buena elección!",
    "style.chosen": "🎨 ¡Vamos con <b>{style}</b>! Ahora envíame una foto.",
    "style.need_photo": (
        "📷 Responde a una foto con este comando, o envía una foto con él como texto."
    ),
    # un archivo que no sé pintar (bot/handlers/unpaintable.py)
    "unpaintable.file": (
        "🤔 Eso no lo puedo pintar. Envíame una foto, o una imagen en archivo JPEG, PNG o WebP."
    ),
    "style.own": "tu propio cuadro",
    "own.prompt": "🖼 Envíame el cuadro cuyo estilo quieres usar (como foto).",
    "own.album": "🖼 Entendido: pinto la primera foto con el estilo de la segunda.",
    "note.size_capped": (
        "📐 Aquí lo más grande que puedo pintar es {max_side} px, así que usé eso en vez "
        "de {requested}."
    ),

    # ------------------------------------------------------------------ cola y progreso
    "received": "⏳ Recibido, un momento…",
    "queued.first": "⏳ No hay nadie delante de ti: empiezo enseguida.",
    "queued.ahead.one": "⏳ En cola: hay {count} foto antes que la tuya.",
    "queued.ahead.other": "⏳ En cola: hay {count} fotos antes que la tuya.",
    "queued.offline": (
        "😴 El pintor no está disponible ahora mismo; pintaré esta foto en cuanto vuelva."
    ),
    "look.first": "👀 Un primer vistazo: la pintura de verdad viene después.",
    "look.offer_instant": (
        "⚡ O llévate ya una imagen instantánea: un boceto rápido, no una pintura."
    ),
    "look.painting": (
        "🖌 La pintura ha empezado desde tu foto; el primer vistazo era un boceto."
    ),
    "instant.started": "⚡ Preparando tu imagen instantánea…",
    "instant.too_late": "Esta foto ya no está esperando: es tarde para una instantánea.",
    "instant.refused": (
        "😔 No pude hacer una imagen instantánea de esta foto; sigue en la cola para el "
        "pintor."
    ),
    "progress.starting": "🎨 Preparando los pinceles…",
    "progress.line": "🎨 Pintando… {bar} {percent} % · {eta}",
    "progress.line_no_eta": "🎨 Pintando… {bar} {percent} %",
    "progress.finishing": "🖼 Casi está: dando los últimos retoques…",
    "eta.almost": "casi listo",
    "eta.seconds": "quedan unos {count} s",
    "eta.minute": "queda 1 min aprox.",
    "eta.minutes": "quedan unos {count} min",
    "eta.hours": "quedan unas {count} h",

    # ------------------------------------------------------------------ resultados
    "done.caption": "✨ {style}\nPintado en {seconds} s.",
    "done.caption_group": (
        "✨ {style}\nPintado en {seconds} s para "
        "<a href=\"tg://user?id={user_id}\">{requester}</a>."
    ),
    "done.time_limit": (
        "⏱ Llegué al tiempo máximo ({limit} s), así que esta es la mejor versión que tengo."
    ),
    "inline.caption": "🎨 {style} · pintado con @{bot_username}",
    "artworks.caption": "🖼 {index} de {count} — {style} · {date}",
    "artworks.empty": "Aún no tienes cuadros: ¡envíame una foto!",
    "artworks.private_only": "🖼 Tu galería se abre en nuestro chat privado: toca abajo.",
    "done.deep_link": "<a href=\"{url}\">🖌 Pinta el tuyo en este estilo</a>",
    "done.instant": (
        "⚡ Una imagen instantánea: un boceto rápido en ese estilo. Para una pintura de "
        "verdad, envíala de nuevo con <code>calidad=normal</code>."
    ),
    "done.ready": "✨ ¡Tu cuadro está listo!",
    "done.as_file": "📎 Es demasiado grande para enviarla como foto, así que va como archivo.",
    "done.full_caption": "📥 Resolución completa: {width}×{height} px",
    "done.timelapse_caption": "🎞 Así se pintó tu cuadro",

    # ------------------------------------------------------------------ botones
    "button.another_style": "🎨 Otro estilo",
    "button.stronger": "➕ Más fuerte",
    "button.weaker": "➖ Más suave",
    "button.keep_colors": "🌈 Mantener mis colores",
    "button.style_colors": "🖌 Colores del cuadro",
    "button.full_res": "📥 Resolución completa",
    "button.timelapse": "🎞 Cámara rápida",
    "button.share": "📤 Compartir",
    "button.inline_empty": "Aún no hay cuadros: ¡pinta uno!",
    "button.new_seed": "🎲 Otra semilla",
    "button.delete": "🗑 Borrar",
    "button.open_gallery": "🖼 Abrir mi galería",
    "button.cancel": "✖️ Cancelar",
    "button.instant": "⚡ Imagen instantánea ya",
    "button.prev": "◀️ Anterior",
    "button.next": "Siguiente ▶️",
    "button.page": "{page}/{pages}",
    "button.own_painting": "🖼 Usar mi propio cuadro",
    "button.set_strength": "💪 Fuerza",
    "button.set_colors": "🌈 Colores",
    "button.set_size": "📐 Tamaño",
    "button.set_quality": "✨ Calidad",
    "button.set_faces": "🙂 Caras",
    "button.set_brush": "🖌 Pincel",
    "button.set_previews": "🎬 Vista previa",
    "button.set_language": "🌍 Idioma",
    "button.back": "‹ Atrás",
    "button.close": "✅ Listo",

    # ------------------------------------------------------------------ /status, /cancel
    "status.header": "🗂 <b>Tus fotos</b>",
    "status.line": "{index}. {style}: {state}",
    "status.empty": "No tienes nada en proceso. ¡Envíame una foto para empezar! 📷",
    "state.queued": "en cola",
    "state.running": "pintando, {percent} %",
    "state.done": "terminada",
    "state.failed": "falló",
    "state.cancelled": "cancelada",
    "state.delivered": "enviada",
    "cancel.done": "✖️ Cancelada.",
    "cancel.count.one": "✖️ {count} foto cancelada.",
    "cancel.count.other": "✖️ {count} fotos canceladas.",
    "cancel.nothing": "No hay nada que cancelar: no tienes fotos en proceso.",

    # ------------------------------------------------------------------ /settings
    "settings.text": (
        "⚙️ <b>Tus ajustes</b>\n\n"
        "Fuerza: {strength}\n"
        "Colores: {colors}\n"
        "Tamaño: {size}\n"
        "Calidad: {quality}\n"
        "Caras: {faces}\n"
        "Pincel: {brush}\n"
        "Vista previa: {previews}\n"
        "Idioma: {language}\n\n"
        "Los uso siempre que el texto de tu foto no diga otra cosa."
    ),
    "settings.pick_strength": "💪 ¿Con cuánta fuerza pinto el estilo?",
    "settings.pick_colors": "🌈 ¿Qué colores quieres en el resultado?",
    "settings.pick_size": "📐 ¿De qué tamaño (lado largo, en píxeles)?",
    "settings.pick_quality": "✨ ¿Qué calidad? Cuanto mejor, más tarda.",
    "settings.pick_faces": (
        "🙂 ¿Qué hago con las caras de tus fotos?\n\n"
        "<b>Pintadas con suavidad</b>: conservan sus rasgos y sus colores, con un toque "
        "ligero del estilo. <b>Tal cual</b>: sin pinceladas. "
        "<b>Pintadas como el resto</b>: sin protección."
    ),
    "settings.pick_brush": "🖌 ¿De qué tamaño quieres las pinceladas?",
    "settings.pick_previews": (
        "🎬 Mientras pinto, ¿la imagen sobre la barra de progreso muestra el cuadro "
        "a medida que se forma?"
    ),
    "settings.pick_language": "🌍 ¿En qué idioma te hablo?",
    "settings.language_set": "🌍 A partir de ahora te hablo en español.",

    # ------------------------------------------------------------------ the studio (bot.studio)
    "button.studio": "🎨 Estudio",
    "button.studio_menu": "Estudio",
    "studio.open": "🎨 El estudio: elige un cuadro viéndolo, ajusta tus preferencias y compara "
                   "tus cuadros con tus fotos.",
    "studio.mix_caption": "🎨 {style}, {percent}% sobre tu foto",
    "page.field.strength": "Intensidad",
    "page.field.colors": "Colores",
    "page.field.brush": "Pincel",
    "page.field.faces": "Caras",
    "page.field.previews": "Vista previa en directo",
    "page.field.quality": "Calidad",
    "page.field.size": "Tamaño",
    "page.field.language": "Idioma",
    "page.own_painting": "Tu propio cuadro",
    "page.answer.chosen": "¡{style}! Mándame una foto en el chat y la pinto.",
    "page.answer.painting": "¡Manos a la obra! Tu cuadro va de camino al chat.",
    "page.answer.sent": "¡Enviado! Ya está en el chat.",
    "page.error.setting": (
        "Esa preferencia no existe. Vuelve a abrir el estudio e inténtalo otra vez."),
    "page.error.painting": "Ese cuadro ya no está en el catálogo.",
    "page.error.no_photo": (
        "No tengo ninguna foto tuya reciente. Mándame una en el chat primero."),
    "page.error.artwork": "Ese cuadro ya no está en tu galería.",
    "page.error.mix": "La mezcla va del 0 al 100 %.",
    "page.error.gone": "Telegram ya no tiene la foto o el cuadro, así que no puedo mezclarlos.",
    "page.error.write": (
        "No puedo escribirte: abre el chat conmigo, pulsa Iniciar y vuelve a probar."),
    "page.error.expired": (
        "Esta página lleva demasiado tiempo abierta. Ciérrala y vuelve a abrirla desde el bot."),
    "page.error.busy": "Eso es mucho de golpe: espera un segundo y vuelve a probar.",
    "value.strength.low": "Suave",
    "value.strength.medium": "Media",
    "value.strength.high": "Fuerte",
    "value.strength.max": "Máxima",
    "value.strength.custom": "×{value}",
    "value.colors.style": "Los del cuadro",
    "value.colors.keep": "Los de mi foto",
    "value.colors.match": "Ajustados a mi foto",
    "value.quality.instant": "Instantánea (un boceto)",
    "value.quality.fast": "Rápida",
    "value.quality.balanced": "Normal",
    "value.quality.best": "La mejor",
    "value.size": "{size} px",
    "value.faces.soft": "Pintadas con suavidad",
    "value.faces.keep": "Tal cual",
    "value.faces.paint": "Pintadas como el resto",
    "value.brush.small": "Pequeño",
    "value.brush.medium": "Mediano",
    "value.brush.large": "Grande",
    "value.previews.on": "Activada",
    "value.previews.off": "Desactivada",
    "value.split": "{background}, la persona en {person}",
    "value.default": "Por defecto ({value})",

    # ------------------------------------------------------------------ admin
    "admin.only": "🔒 Ese comando es solo para administradores.",

    # ------------------------------------------------------------ fair use & Stars
    "command.balance": "Tus cuadros gratis y pagados",
    "command.paysupport": "Ayuda con un pago",
    "state.held": "guardada: no te quedan cuadros hoy",
    "eta.in_minutes": "{minutes} min",
    "eta.in_hours": "{hours} h {minutes} min",
    "quota.held.one": (
        "🎟 Ya pintaste hoy tu cuadro gratis. Guardo tu foto: la pintaré cuando llegue el "
        "próximo gratis, a medianoche UTC (dentro de {wait})."
    ),
    "quota.held.other": (
        "🎟 Ya pintaste hoy tus {count} cuadros gratis. Guardo tu foto: la pintaré cuando "
        "llegue el próximo gratis, a medianoche UTC (dentro de {wait})."
    ),
    "quota.buy": "⭐ O consigue un paquete de cuadros y la pinto ahora mismo:",
    "quota.tomorrow": "O toca Cancelar si prefieres no esperar.",
    "quota.released": "🎟 ¡Pintando ahora tu foto guardada!",
    "quota.given_back": "🎟 Este no contó: te devuelvo ese cuadro.",
    "button.pack.one": "⭐ 1 cuadro — {stars} Stars",
    "button.pack.other": "⭐ {count} cuadros — {stars} Stars",
    "button.pay": "Pagar ⭐ {stars}",
    "invoice.title.one": "1 cuadro de Lienzo",
    "invoice.title.other": "{count} cuadros de Lienzo",
    "invoice.description.one": (
        "Un cuadro de tu foto, en cualquier estilo, para usar cuando quieras. "
        "Tus cuadros gratis de cada día siguen siendo gratis."
    ),
    "invoice.description.other": (
        "{count} cuadros de tus fotos, en cualquier estilo, para usar cuando quieras. "
        "Tus cuadros gratis de cada día siguen siendo gratis."
    ),
    "invoice.label.one": "1 cuadro",
    "invoice.label.other": "{count} cuadros",
    "alert.invoice_sent": "⭐ Te envié la factura a nuestro chat privado.",
    "alert.invoice_failed": "Perdona, no pude preparar la factura ahora. Inténtalo de nuevo.",
    "alert.pack_gone": "Ese paquete ya no está a la venta. Mira /balance para ver los de ahora.",
    "alert.pay_refused": (
        "Esta factura ya no es válida (su paquete ya no se vende, o era para otra persona). "
        "Pide una nueva con /balance."
    ),
    "pay.receipt": (
        "⭐ ¡Gracias! Cuadros añadidos: {paintings}, por {stars} Stars. "
        "Cuadros pagados que tienes ahora: {paid}.\n"
        "Tu recibo: <code>{charge}</code> (para /paysupport)."
    ),
    "balance.text": (
        "🎟 <b>Tus cuadros</b>\n"
        "Gratis hoy: {free_left} de {free} (más a medianoche UTC, dentro de {wait})\n"
        "Pagados: {paid}"
    ),
    "paysupport.nothing_sold": "🎨 Aquí no se vende nada: pintar es gratis.",
    "paysupport.operator": "💬 <b>Ayuda con un pago</b>\n\n{text}",
    "paysupport.default": (
        "💬 <b>Ayuda con un pago</b>\n\n"
        "Escribe a quienes llevan este bot, con el número de recibo que te envié tras el "
        "pago. Si un cuadro falla por mi parte, te lo devuelvo yo."
    ),
    "refund.usage": "Uso: <code>/refund id_del_cargo</code> (el número de recibo).",
    "refund.unknown": "🤔 No tengo ningún pago <code>{charge}</code>.",
    "refund.not_found": "🤔 Telegram no tiene ningún pago <code>{charge}</code> que reembolsar.",
    "refund.already": "↩️ El pago <code>{charge}</code> ya estaba reembolsado.",
    "refund.done": (
        "↩️ Reembolsadas {stars} Stars a {user_id} por <code>{charge}</code>; "
        "cuadros retirados: {paintings}."
    ),
    "refund.user": "↩️ Te reembolsaron tus {stars} Stars; cuadros retirados: {paintings}.",
    "stats.header": "📊 <b>Estadísticas de Lienzo</b>",
    "stats.queue": "Cola: {queued} esperando · {running} pintando",
    "stats.today": "Hoy: {done} terminadas · {failed} fallidas · {mean_s} s de media",
    "stats.workers": "Motores activos: {count}",
    "stats.worker": "• <code>{worker}</code> — {device}, {backend} · libre",
    "stats.worker_busy": "• <code>{worker}</code> — {device}, {backend} · ocupado",
    "stats.no_workers": "⚠️ No hay ningún motor activo: los trabajos esperarán.",

    # ------------------------------------------------------------------ avisos (≤ 200)
    "alert.not_requester": "Solo quien pidió esta foto puede usar estos botones.",
    "alert.expired": "Este botón ya caducó.",
    "alert.no_timelapse": "No hay (o ya no hay) cámara rápida de este cuadro.",
    "alert.saved": "✅ Guardado",
    "alert.queued": "⏳ ¡En cola!",
    "alert.cancelled": "✖️ Cancelada",
    "alert.nothing_to_cancel": "No hay nada que cancelar.",
    "alert.strongest": "Ya está al máximo.",
    "alert.weakest": "Ya está al mínimo.",
    "alert.deleted": "🗑 Borrado",

    # ------------------------------------------------------------------ errores: imágenes y motor
    "error.bad_image": "😕 No pude usar esa imagen. Envíame una foto normal (JPEG o PNG).",
    "error.empty_image": "😕 Ese archivo está vacío. Vuelve a enviarme la foto.",
    "error.not_an_image": "🤔 Eso no parece una imagen. Envíame una foto (JPEG, PNG o WebP).",
    "error.image_too_large": (
        "🐘 Esa imagen es demasiado grande para mí. Envíame una más pequeña."
    ),
    "error.image_too_small": (
        "🔍 Esa imagen es demasiado pequeña para pintarla. Envíame una más grande."
    ),
    "error.corrupt_image": "💔 Esa imagen parece dañada. ¿Me la envías otra vez?",
    "error.unknown_style": (
        "🤷 No conozco ningún estilo llamado «{style}». ¿Quizá era uno de estos?"
    ),
    "error.unknown_style_none": (
        "🤷 No conozco ningún estilo llamado «{style}». Envía /styles para verlos todos."
    ),
    "error.style_unavailable": (
        "🖼 Ese cuadro no está disponible ahora mismo. Elige otro, por favor."
    ),
    "error.weights_unavailable": (
        "🛠 Mi motor de pintura no está bien configurado ahora mismo. Inténtalo más tarde."
    ),
    "error.invalid_params": (
        "⚙️ Esas opciones no funcionan juntas. Prueba con otras o mira /help."
    ),
    "error.cancelled": "✖️ Cancelada.",
    "error.out_of_memory": (
        "🧠 A ese tamaño es demasiado para mí. Prueba con uno menor, "
        "por ejemplo <code>tamaño=512</code>."
    ),
    "error.engine_error": "😔 Algo salió mal mientras pintaba. Inténtalo de nuevo.",
    "error.look_failed": (
        "😔 No pude hacer una imagen instantánea de esta foto. Prueba una calidad pintada, "
        "por ejemplo <code>calidad=rapida</code>."
    ),
    "error.worker_lost": (
        "😔 Lo siento: lo intenté varias veces, pero no pude terminar tu foto. "
        "Envíamela otra vez."
    ),
    "error.bad_result": "😔 Algo falló por mi parte. Vuelve a enviarme la foto.",
    "error.queue_timeout": (
        "😔 Lo siento: el pintor lleva demasiado tiempo ausente y no pude pintar esta foto. "
        "Envíamela otra vez un poco más tarde."
    ),
    "error.queue_unavailable": (
        "🚧 Ahora mismo no consigo llegar a mi taller. Inténtalo de nuevo en un minuto."
    ),

    # ------------------------------------------------------------------ errores: límites del bot
    "error.file_too_big": (
        "📦 Ese archivo es demasiado grande: solo puedo descargar hasta {max_mb} MB. "
        "Prueba a enviarlo como foto."
    ),
    "error.user_limit": (
        "✋ Ya tienes en cola todas las fotos que puedo aceptarte ({limit}). "
        "Espera a que termine una y envía la siguiente."
    ),
    "error.queue_full": "😅 Ahora mismo estoy muy ocupado. Inténtalo de nuevo en unos minutos.",
    "error.chat_not_allowed": "🔒 Lo siento, no estoy disponible en este chat.",
    "error.not_your_job": "🙅 Esa foto es de otra persona.",
    "error.unknown_job": "🤔 Ya no encuentro esa foto.",
    "error.photo_gone": "🤔 Ya no encuentro esa foto. Envíamela otra vez, por favor.",

    # ------------------------------------------------------------------ errores: lo que se pidió
    "error.empty_request": (
        "🎨 ¿Qué estilo? Escribe su nombre, por ejemplo <code>/style starry_night</code>, "
        "o mira /styles."
    ),
    "error.bad_option": (
        "🤔 No conozco la opción «{option}». Entiendo <code>fuerza=</code>, "
        "<code>colores=</code>, <code>tamaño=</code>, <code>calidad=</code>, "
        "<code>semilla=</code>, <code>caras=</code> y <code>pincel=</code> (también en "
        "inglés: <code>strength=</code>, <code>colors=</code>, <code>size=</code>…)."
    ),
    "error.bad_value.strength": (
        "🤔 «{value}» no es una fuerza válida. Usa <code>baja</code>, <code>media</code>, "
        "<code>alta</code>, <code>max</code> o un número del 0,1 al 100."
    ),
    "error.bad_value.colors": (
        "🤔 «{value}» no es una opción de color. Usa <code>mantener</code> (los colores de "
        "tu foto), <code>estilo</code> (los del cuadro) o <code>igualar</code>."
    ),
    "error.bad_value.size": (
        "🤔 No puedo pintar a un tamaño de «{value}». Usa un número de píxeles entre "
        "{min} y {max}."
    ),
    "error.bad_value.quality": (
        "🤔 «{value}» no es una calidad válida. Usa <code>instantanea</code>, "
        "<code>rapida</code>, <code>normal</code> o <code>mejor</code>."
    ),
    "error.bad_value.faces": (
        "🤔 «{value}» no es una opción para las caras. Usa <code>suave</code> (pintadas con "
        "suavidad), <code>conservar</code> (tal cual) o <code>pintar</code> (como el resto)."
    ),
    "error.bad_value.brush": (
        "🤔 «{value}» no es un tamaño de pincel. Usa <code>pequeño</code>, "
        "<code>mediano</code> o <code>grande</code>."
    ),
    "error.bad_value.seed": (
        "🤔 «{value}» no es una semilla válida. Usa un número entero, por ejemplo "
        "<code>semilla=42</code>."
    ),
    "error.too_many_styles": "🎨 ¡Eso es mucha pintura! Puedes mezclar hasta {max} estilos.",
    "error.bad_weight": (
        "🤔 No entiendo el peso «{value}» para {style}. Usa un número positivo, "
        "como en <code>the_scream:0.3</code>."
    ),
    "error.bad_blend": (
        "🎨 Algo falla en esa mezcla. Escríbela así: "
        "<code>starry_night+the_scream:0.3</code>."
    ),
    "error.bad_split": (
        "🎨 Para dividir la imagen, escribe un estilo a cada lado de la barra, así: "
        "<code>/style starry_night | the_scream</code>: el fondo con el primero, la persona "
        "con el segundo."
    ),
    "error.bad_split.parts": (
        "🎨 La imagen se divide en dos: el fondo y la persona. Escribe dos estilos, así: "
        "<code>/style starry_night | the_scream</code>."
    ),
    "error.bad_split.blend": (
        "🎨 Cada lado de la barra lleva un solo estilo, no una mezcla: "
        "<code>/style starry_night | the_scream</code>."
    ),
    "error.bad_split.same": (
        "🎨 Es el mismo estilo a los dos lados, así que escríbelo una vez: "
        "<code>/style starry_night</code>."
    ),
    "error.bad_split.painting": (
        "🎨 Al dividir la imagen uso los dos estilos que escribiste, así que no puedo "
        "añadir también tu cuadro. Envía la foto sola con el texto, o mezcla los estilos "
        "con <code>+</code>."
    ),
    # ------------------------------------------------------------------ clips (GIF, vídeos)
    "unpaintable.clip": (
        "🎞 Pinto GIF y vídeos enviados tal cual, no como archivo, sticker ni en un álbum. "
        "Envíalo de nuevo como GIF o vídeo (hasta 20 MB), o envíame una foto."
    ),
    "picker.prompt_clip": "🎞 ¡Buen clip! ¿Con qué cuadro lo pinto?",
    "clip.estimate.seconds": "🎞 {frames} fotogramas: unos {seconds} s de pintura cuando empiece.",
    "clip.estimate.minutes": "🎞 {frames} fotogramas: unos {count} min de pintura cuando empiece.",
    "clip.cut": "✂️ Tu clip dura más de {seconds} s, así que pintaré sus primeros {seconds} s.",
    "progress.frame": "🎞 Fotograma {frame} de {frames}",
    "error.bad_clip": "😕 No pude usar ese clip. Envíame un GIF o un vídeo corto (MP4).",
    "error.not_a_clip": "🤔 Eso no parece un GIF ni un vídeo. Envíame un GIF o un MP4 corto.",
    "error.corrupt_clip": "💔 Ese clip parece dañado. ¿Me lo envías otra vez?",
    "error.clip_too_large": (
        "🐘 Ese clip ocupa {mb} MB; acepto hasta {limit_mb} MB. Envíame uno más corto."
    ),
    "error.clip_too_large_frames": (
        "🐘 Los fotogramas de ese clip miden {side} px; acepto hasta {limit} px."
    ),
    "error.clip_file_too_big": (
        "📦 Ese clip es demasiado grande: solo puedo descargar hasta {max_mb} MB. "
        "Envía uno más corto o más pequeño."
    ),
    # ------------------------------------------------------------------ estudio (página web)
    "page.title": "Estudio de Lienzo",
    "page.tab.paintings": "Cuadros",
    "page.tab.settings": "Ajustes",
    "page.tab.artworks": "Mis cuadros",
    "page.search": "Busca cuadros y artistas",
    "page.no_results": "Ningún cuadro coincide. Prueba con otra palabra.",
    "page.use_next": "Usar en mi próxima foto",
    "page.paint_last": "Pintar mi última foto",
    "page.painting_hint": "Elígelo ahora y luego envíame una foto en el chat.",
    "page.settings_hint": "Los uso en cada foto, salvo que tu texto diga otra cosa.",
    "page.saved": "Guardado",
    "page.empty_artworks": (
        "Aún no hay nada. Envíame una foto en el chat, elige un cuadro y tus cuadros "
        "aparecerán aquí."
    ),
    "page.before": "Foto",
    "page.after": "Cuadro",
    "page.compare": "Compara tu foto con el cuadro",
    "page.mix": "Mezcla",
    "page.mix_hint": "Cuánto del cuadro va sobre tu foto.",
    "page.send_version": "Enviar esta versión",
    "page.share": "Compartir",
    "page.delete": "Borrar",
    "page.delete_confirm": "¿Borrar este cuadro? No se puede deshacer.",
    "page.loading": "Cargando…",
    "page.retry": "Reintentar",
    "page.error.auth": (
        "Esta página solo funciona si la abres desde Lienzo en Telegram. Ciérrala y vuelve "
        "a abrirla desde el bot."
    ),
    "page.error.network": "No pude conectar con Lienzo. Revisa tu conexión e inténtalo de nuevo.",

    # ------------------------------------------------------------------ impresiones (🖨)
    "button.print": "🖨 Imprimir",
    "alert.print_started": "🖨 Impresión pedida",
    "alert.print_busy": (
        "🖨 Ya tienes una impresión en camino. Una cada vez, por favor: te la envío en "
        "cuanto esté lista."
    ),
    "alert.print_clip": (
        "Una imagen en movimiento no se puede imprimir: las impresiones son de cuadros fijos."
    ),
    "alert.print_instant": (
        "Un boceto instantáneo no se puede imprimir. Pinta primero la foto "
        "(quality=balanced) y luego imprime el cuadro."
    ),
    "alert.print_gone": (
        "No puedo imprimirlo: ya no guardo la foto de este cuadro (olvidada o demasiado "
        "antigua). Envíame la foto otra vez para pintarla de nuevo."
    ),
    "print.heading": "🖨 Impresión, {side} px en su lado largo",
    "print.scale": "🔍 Escala {scale} de {scales}",
    "print.ordered": "Recibido: voy a buscar tu foto…",
    "print.waits": (
        "Las impresiones dejan pasar primero a los cuadros nuevos y tardan hasta {minutes} min."
    ),
    "print.photo_gone": (
        "🖨 No puedo imprimirlo: Telegram ya no tiene tu foto (se borró o me pediste que "
        "la olvidara). Tu cuadro sigue como está; envíame la foto otra vez para pintarla "
        "de nuevo."
    ),
    "print.caption": "🖨 {style}\nImpreso a {width}×{height} px (JPEG, calidad 95).",
    "print.upscaled": (
        "🔍 Ampliada desde {width}×{height}: tu foto era más pequeña que la impresión, así "
        "que la amplié primero y pinté las pinceladas a tamaño de impresión."
    ),
    "print.png": "🖨 La misma impresión, sin pérdida (PNG).",
    "print.png_too_big": (
        "El PNG sin pérdida pesaría {mb} MB, más de los {limit_mb} MB que puede enviar un "
        "bot, así que la impresión es el JPEG."
    ),
}
