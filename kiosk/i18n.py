"""Every sentence a citizen reads on the kiosk, in Vietnamese and English.

Polite, short, and saying what to do next: an elderly citizen on a first visit must never be left with an error
code. Logs stay in English and carry the technical detail.
"""

from __future__ import annotations

from kiosk.i18n_checkin import CHECKIN_ERRORS, CHECKIN_TEXTS
from kiosk.qrpayload import ScanVerdict
from motcua.contract import ErrorCode, PriorityCategory
from motcua.language import Language

Lang = Language  # the kiosk's short name for it


#: (Vietnamese, English) for each text of the screens.
TEXTS: dict[str, tuple[str, str]] = {
    "app_title": ("Lấy số thứ tự", "Take a queue number"),
    "home_prompt": (
        "Xin mời chạm vào lĩnh vực cần giải quyết để lấy số",
        "Please touch the service you need to take a number",
    ),
    "scan_hint": (
        "Có tờ thủ tục? Đưa mã QR vào trước camera để xem hướng dẫn.",
        "Have a procedure sheet? Hold its QR code in front of the camera.",
    ),
    "search": ("Tìm thủ tục", "Find a procedure"),
    "search_prompt": ("Gõ tên thủ tục, không cần dấu", "Type the procedure name, accents not needed"),
    "search_example": ("Ví dụ: dang ky khai sinh", "Example: birth registration"),
    "search_none": (
        "Không tìm thấy thủ tục phù hợp. Xin mời thử từ khác, hoặc lấy số để cán bộ hướng dẫn.",
        "No procedure found. Please try other words, or take a number and ask the staff.",
    ),
    "ask_staff": ("LẤY SỐ ĐỂ HỎI CÁN BỘ", "TAKE A NUMBER TO ASK THE STAFF"),
    "ask_prompt": (
        "Xin mời chọn lĩnh vực gần nhất với việc cần hỏi, rồi lấy số: cán bộ sẽ hướng dẫn.",
        "Please choose the service closest to your question and take a number: the staff will help you.",
    ),
    "search_count": ("{n} thủ tục", "{n} procedures"),
    "language": ("English", "Tiếng Việt"),
    "home": ("Trang chủ", "Home"),
    "back": ("Quay lại", "Back"),
    "previous": ("◀ Trước", "◀ Previous"),
    "next": ("Tiếp ▶", "Next ▶"),
    "previous_up": ("▲ Trang trước", "▲ Previous"),
    "next_down": ("▼ Trang sau", "▼ More"),
    "page": ("Trang {page}/{pages}", "Page {page}/{pages}"),
    "clear": ("Xóa hết", "Clear"),
    "space": ("Dấu cách", "Space"),
    "large_text": ("Chữ to", "Large text"),
    "large_text_on": ("Chữ to: BẬT", "Large text: ON"),
    "show_results": ("XEM {n} KẾT QUẢ", "SEE {n} RESULTS"),
    "show_results_none": ("XEM KẾT QUẢ", "SEE RESULTS"),
    "digits": ("Số 0–9", "Digits 0–9"),
    "letters": ("Chữ A–Z", "Letters A–Z"),
    "results_title": ("Kết quả tìm “{query}”", "Results for “{query}”"),
    "keyboard_back": ("◀ Sửa từ tìm", "◀ Change the words"),
    "take_number": ("LẤY SỐ", "TAKE A NUMBER"),
    "take_number_for": ("Lấy số: {service}", "Take a number: {service}"),
    "procedures_of": ("Các thủ tục", "Procedures"),
    "no_procedures": (
        "Chạm nút LẤY SỐ để lấy số thứ tự cho lĩnh vực này.",
        "Touch TAKE A NUMBER to get a number for this service.",
    ),
    "closed": ("Ngoài giờ làm việc", "Closed now"),
    "closed_hours": ("Giờ làm việc: {hours}", "Opening hours: {hours}"),
    "code": ("Mã thủ tục: {code}", "Procedure code: {code}"),
    "field": ("Lĩnh vực: {field}", "Field (Vietnamese): {field}"),
    "documents": ("Thành phần hồ sơ", "Documents to bring"),
    "vietnamese_only": (
        "",
        "The documents, fees and times below are the official wording, in Vietnamese only. "
        "Please ask the staff at a counter for help.",
    ),
    "forms": ("Biểu mẫu, tờ khai", "Forms"),
    "time_limit": ("Thời hạn giải quyết", "Processing time"),
    "fee": ("Phí, lệ phí", "Fees"),
    "agency": ("Cơ quan thực hiện", "Handled by"),
    "result": ("Kết quả", "Result"),
    "online_qr": ("Quét bằng điện thoại để nộp hồ sơ trực tuyến", "Scan with your phone to apply online"),
    "online_partial": ("Một phần trực tuyến", "Partly online"),
    "online_full": ("Toàn trình trực tuyến", "Fully online"),
    "priority_title": ("Ông/Bà có thuộc đối tượng ưu tiên không?", "Are you entitled to priority service?"),
    "priority_note": (
        "Đối tượng ưu tiên được phục vụ trước. Cán bộ có thể đề nghị xuất trình giấy tờ.",
        "Priority citizens are served first. Staff may ask for proof.",
    ),
    "priority_none": ("KHÔNG", "NO"),
    "priority_none_sub": ("Lấy số thường", "Regular number"),
    "priority_of_ticket": ("ƯU TIÊN: {category}", "PRIORITY: {category}"),
    "working": ("Đang lấy số, xin vui lòng chờ…", "Getting your number, please wait…"),
    "your_number": ("Số thứ tự của Ông/Bà", "Your number"),
    # Where the citizen will be called, not an invitation to go now ("Mời đến quầy" is for the board and the voice).
    "served_at": ("Quầy phục vụ: {counters}", "Served at counter: {counters}"),
    "people_ahead": ("Số người chờ trước: {n}", "People ahead of you: {n}"),
    "estimated_wait": ("Thời gian chờ dự kiến: {wait}", "Estimated wait: {wait}"),
    "take_ticket": ("Xin mời nhận phiếu ở khe máy in bên dưới.", "Please take your ticket from the printer below."),
    "listen_call": (
        "Xin mời ngồi chờ và chú ý màn hình, loa gọi số.",
        "Please take a seat and watch the screen for your number.",
    ),
    "no_ticket_came": ("Không thấy phiếu? In lại", "No ticket? Print again"),
    "done": ("Xong", "Done"),
    "print_failed_title": ("Máy in chưa in được phiếu ({problem})", "The ticket could not be printed ({problem})"),
    "print_failed_valid": ("SỐ VẪN CÒN HIỆU LỰC", "THIS NUMBER IS VALID"),
    "print_failed_body": (
        "Số {label} đã được cấp và vẫn giữ chỗ của Ông/Bà. Xin mời ghi nhớ số này (hoặc chụp ảnh màn hình), "
        "ngồi chờ và nghe gọi số; khi được gọi, xin mời đọc số cho cán bộ.",
        "Number {label} has been issued and keeps your place. Please remember it (or take a photo of the "
        "screen), take a seat and listen for your number; when it is called, tell the staff your number.",
    ),
    "print_failed_help": (
        "Cần giúp đỡ? Xin mời hỏi cán bộ tại quầy: số này không bị hủy.",
        "Need help? Please ask the staff at a counter: this number is not cancelled.",
    ),
    "remembered": ("ĐÃ NHỚ SỐ — XONG", "I HAVE MY NUMBER — DONE"),
    "reprint": ("IN LẠI", "PRINT AGAIN"),
    "cancel_ticket": ("Hủy số này", "Cancel this number"),
    "cancelled": (
        "Số đã được hủy. Xin vui lòng báo cán bộ để được hỗ trợ.",
        "The number was cancelled. Please ask the staff for help.",
    ),
    "loading_title": ("Đang kết nối với hệ thống…", "Connecting to the hall system…"),
    "loading_body": (
        "Máy đang tải danh mục thủ tục. Xin vui lòng chờ trong giây lát.",
        "The kiosk is loading the list of procedures. Please wait a moment.",
    ),
    "loading_offline": (
        "Chưa kết nối được với hệ thống. Xin vui lòng liên hệ cán bộ tại quầy.",
        "The kiosk cannot reach the hall system. Please ask the staff at a counter.",
    ),
    "offline_banner": (
        "Mất kết nối với hệ thống: tạm thời chưa lấy số được. Vẫn xem được thủ tục.",
        "No connection to the hall system: numbers cannot be issued for now. Procedures can still be viewed.",
    ),
    "offline_title": ("Chưa lấy được số", "No number issued"),
    "offline_body": (
        "Máy chưa kết nối được với hệ thống nên chưa lấy được số. Không có phiếu nào được in. "
        "Xin vui lòng thử lại sau ít phút hoặc liên hệ cán bộ tại quầy.",
        "The kiosk cannot reach the hall system, so no number was issued and nothing was printed. "
        "Please try again in a few minutes or ask the staff at a counter.",
    ),
    "timeout_body": (
        "Hệ thống không trả lời kịp nên chưa lấy được số. Không có phiếu nào được in. Xin vui lòng thử lại.",
        "The hall system did not answer in time, so no number was issued and nothing was printed. Please try again.",
    ),
    "printer_banner": (
        "Máy in đang có sự cố ({problem}). Xin vui lòng báo cán bộ.",
        "The printer has a problem ({problem}). Please tell the staff.",
    ),
    "printer_unavailable_body": (
        "Máy in tạm thời không in được ({problem}) nên chưa cấp số. Xin vui lòng báo cán bộ tại quầy.",
        "The printer cannot print right now ({problem}), so no number was issued. Please tell the staff.",
    ),
    # The home screen when no number can be issued (kiosk.ui.screens.home_notice): what is wrong, what still
    # works, what to do.
    "notice_blocked_title": ("Tạm thời chưa lấy số được", "Numbers cannot be issued right now"),
    "notice_offline_body": (
        "Máy lấy số mất kết nối với hệ thống. Ông/Bà vẫn xem được thủ tục; xin mời đến quầy để cán bộ hướng dẫn.",
        "The kiosk has lost its connection to the hall system. You can still read the procedures; "
        "please go to a counter, the staff will help you.",
    ),
    "notice_coordinator_body": (
        "Hệ thống cấp số đang tạm dừng. Ông/Bà vẫn xem được thủ tục; xin mời đến quầy để cán bộ hướng dẫn.",
        "The numbering system is stopped for now. You can still read the procedures; "
        "please go to a counter, the staff will help you.",
    ),
    "notice_printer_body": (
        "Máy in phiếu đang có sự cố ({problem}). Ông/Bà vẫn xem được thủ tục; xin mời báo cán bộ tại quầy.",
        "The ticket printer has a problem ({problem}). You can still read the procedures; "
        "please tell the staff at a counter.",
    ),
    "notice_closed_title": ("Ngoài giờ làm việc — mở lại lúc {time}", "Closed — open again at {time}"),
    "notice_closed_body": (
        "Hiện chưa lấy số được. Ông/Bà vẫn xem được thủ tục và giấy tờ cần chuẩn bị.",
        "No numbers can be issued now. You can still read the procedures and the documents to bring.",
    ),
    "take_paused": ("TẠM DỪNG LẤY SỐ", "NUMBERS PAUSED"),
    "take_paused_sub": ("Xin mời hỏi cán bộ tại quầy", "Please ask the staff at a counter"),
    "coordinator_down_body": (
        "Hệ thống cấp số đang tạm dừng nên chưa lấy được số. Không có phiếu nào được in. "
        "Xin mời đến quầy để cán bộ hướng dẫn.",
        "The numbering system is stopped for now, so no number was issued and nothing was printed. "
        "Please go to a counter, the staff will help you.",
    ),
    "camera_banner": ("Máy quét mã QR tạm thời không hoạt động.", "The QR scanner is not working at the moment."),
    "scan_title": ("Mã này không dùng được ở đây", "This code cannot be used here"),
    "sorry": ("Xin lỗi", "Sorry"),
    "ok": ("Đồng ý", "OK"),
    "service_closed_title": ("Ngoài giờ làm việc", "Closed now"),
    "already_called_title": ("Số {label} vẫn còn hiệu lực", "Number {label} still stands"),
    "already_called_body": (
        "Số {label} đã được gọi tại quầy nên không hủy được. Xin mời Ông/Bà đến ngay quầy {counters} "
        "và đọc số {label} cho cán bộ.",
        "Number {label} has already been called at a counter, so it was not cancelled. Please go to counter "
        "{counters} now and tell the staff your number, {label}.",
    ),
    # The printed ticket (kiosk.ticket).
    "ticket_number": ("SỐ THỨ TỰ", "YOUR NUMBER"),
    "ticket_id": ("Mã phiếu: {id}", "Ticket: {id}"),
    "ticket_hotline": ("Góp ý, phản ánh: {hotline}", "Feedback hotline: {hotline}"),
    "ticket_thanks": ("Xin cảm ơn!", "Thank you!"),
}

PRINTER_PROBLEMS: dict[str, tuple[str, str]] = {
    "no_paper": ("hết giấy", "out of paper"),
    "unplugged": ("mất kết nối máy in", "printer not connected"),
    "failed": ("lỗi khi in", "printing error"),
    "offline": ("máy in đang tắt hoặc mở nắp", "printer off or cover open"),
}

PRIORITY_LABELS: dict[PriorityCategory, tuple[str, str]] = {
    PriorityCategory.ELDERLY: ("Người cao tuổi", "Elderly person"),
    PriorityCategory.DISABLED: ("Người khuyết tật", "Person with a disability"),
    PriorityCategory.PREGNANT: ("Phụ nữ mang thai", "Pregnant woman"),
    PriorityCategory.SMALL_CHILD: ("Người đi cùng trẻ nhỏ", "With a small child"),
    PriorityCategory.MERITORIOUS: ("Người có công với cách mạng", "Person with meritorious service"),
}

#: What the citizen reads for each coded refusal of the coordinator.
ERROR_MESSAGES: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.BAD_JSON: (
        "Máy lấy số gặp lỗi kỹ thuật. Xin vui lòng báo cán bộ.",
        "The kiosk had a technical problem. Please tell the staff.",
    ),
    ErrorCode.BAD_REQUEST: (
        "Máy lấy số gặp lỗi kỹ thuật. Xin vui lòng báo cán bộ.",
        "The kiosk had a technical problem. Please tell the staff.",
    ),
    ErrorCode.TOO_LARGE: (
        "Máy lấy số gặp lỗi kỹ thuật. Xin vui lòng báo cán bộ.",
        "The kiosk had a technical problem. Please tell the staff.",
    ),
    ErrorCode.UNKNOWN_DEVICE: (
        "Máy lấy số này chưa được đăng ký với hệ thống. Xin vui lòng báo cán bộ.",
        "This kiosk is not registered with the hall system. Please tell the staff.",
    ),
    ErrorCode.UNKNOWN_SERVICE: (
        "Lĩnh vực này hiện không nhận hồ sơ tại đây. Xin vui lòng hỏi cán bộ hướng dẫn.",
        "This service is not offered here at the moment. Please ask the staff.",
    ),
    ErrorCode.UNKNOWN_PROCEDURE: (
        "Thủ tục này không giải quyết tại bộ phận một cửa này. Xin vui lòng hỏi cán bộ hướng dẫn.",
        "This procedure is not handled at this office. Please ask the staff.",
    ),
    ErrorCode.UNKNOWN_COUNTER: ("Quầy không tồn tại.", "Unknown counter."),
    ErrorCode.UNKNOWN_OFFICER: ("Cán bộ không có trong danh sách.", "Unknown officer."),
    ErrorCode.SERVICE_CLOSED: (
        "Lĩnh vực này hiện ngoài giờ làm việc nên chưa lấy số được. Xin mời quay lại trong giờ làm việc.",
        "This service is closed now, so no number can be issued. Please come back during opening hours.",
    ),
    ErrorCode.SERIES_EXHAUSTED: (
        "Hôm nay đã hết số cho lĩnh vực này. Xin vui lòng liên hệ cán bộ tại quầy.",
        "All numbers for this service have been issued today. Please ask the staff at a counter.",
    ),
    ErrorCode.PRIORITY_DISABLED: (
        "Bộ phận một cửa này không áp dụng diện ưu tiên đã chọn. Xin vui lòng lấy số thường.",
        "This office does not offer the priority you chose. Please take a regular number.",
    ),
    ErrorCode.REQUEST_CANCELLED: (
        "Yêu cầu lấy số này đã bị hủy. Xin vui lòng lấy số mới.",
        "This request was cancelled. Please take a new number.",
    ),
    ErrorCode.ALREADY_CALLED: (
        "Số này đã được gọi tại quầy nên vẫn còn hiệu lực. Xin mời đến quầy ghi trên phiếu.",
        "This number has already been called at a counter, so it stands. Please go to the counter on the ticket.",
    ),
    ErrorCode.RATE_LIMITED: (
        "Máy lấy số đang bận. Xin vui lòng chờ một chút rồi thử lại.",
        "The kiosk is busy. Please wait a moment and try again.",
    ),
    ErrorCode.IMPLAUSIBLE_TIME: (
        "Đồng hồ của thiết bị không khớp. Xin vui lòng báo cán bộ.",
        "The device's clock is wrong. Please tell the staff.",
    ),
    ErrorCode.STALE_REQUEST: (
        "Yêu cầu lấy số đã quá hạn. Xin vui lòng lấy số mới.",
        "The request has expired. Please take a new number.",
    ),
    ErrorCode.COUNTER_CLOSED: ("Quầy đang đóng.", "The counter is closed."),
    ErrorCode.NOT_SIGNED_IN: ("Chưa có cán bộ tại quầy.", "No officer at the counter."),
    ErrorCode.NOTHING_SERVING: ("Quầy chưa phục vụ ai.", "The counter is not serving anyone."),
    ErrorCode.QUEUE_EMPTY: ("Không có ai đang chờ.", "Nobody is waiting."),
    ErrorCode.NOT_WAITING: ("Số này không còn trong hàng chờ.", "That number is no longer waiting."),
    ErrorCode.RECALLS_REQUIRED: ("Cần gọi lại trước.", "Recall first."),
    ErrorCode.STALE_COMMAND: (
        "Đồng hồ của máy lấy số bị lệch nên chưa lấy số được. Xin vui lòng báo cán bộ.",
        "The kiosk's clock is wrong, so no number could be issued. Please tell the staff.",
    ),
    ErrorCode.INTERNAL: (
        "Hệ thống đang gặp sự cố nên chưa lấy số được. Xin vui lòng thử lại hoặc báo cán bộ.",
        "The hall system has a problem, so no number was issued. Please try again or tell the staff.",
    ),
}

#: What the citizen reads when a scanned code cannot be used. Never echoes the scanned content.
SCAN_MESSAGES: dict[ScanVerdict, tuple[str, str]] = {
    ScanVerdict.PROCEDURE: ("", ""),
    ScanVerdict.UNKNOWN_PROCEDURE: (
        "Thủ tục có mã {code} không giải quyết tại bộ phận một cửa này. Xin vui lòng hỏi cán bộ hướng dẫn.",
        "Procedure {code} is not handled at this office. Please ask the staff.",
    ),
    ScanVerdict.TOO_LARGE: (
        "Mã QR này không phải mã thủ tục hành chính. Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This QR code is not a procedure code. Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.BINARY: (
        "Mã QR này không phải mã thủ tục hành chính. Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This QR code is not a procedure code. Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.SCRIPT: (
        "Mã QR này không phải mã thủ tục hành chính. Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This QR code is not a procedure code. Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.OTHER_SITE: (
        "Mã QR này dẫn đến một trang không phải Cổng Dịch vụ công nên máy không mở. "
        "Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This QR code leads to a site that is not the public-service portal, so the kiosk does not open it. "
        "Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.NO_CODE: (
        "Đường dẫn này không có mã thủ tục. Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This link carries no procedure code. Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.NOT_A_PROCEDURE: (
        "Mã QR này không phải mã thủ tục hành chính. Xin mời quét mã trên tờ thủ tục của bộ phận một cửa.",
        "This QR code is not a procedure code. Please scan the code on a procedure sheet of this office.",
    ),
    ScanVerdict.ID_CARD: CHECKIN_TEXTS["idcard_malformed_body"],  # shown only when a card cannot be judged
    ScanVerdict.BOOKING: ("", ""),  # a booking: checked in, no message
}
ERROR_MESSAGES.update(CHECKIN_ERRORS)

TEXTS.update(CHECKIN_TEXTS)  # the check-in screens' sentences (kiosk/i18n_checkin.py)


def text(key: str, lang: Lang, **values: object) -> str:
    vi, en = TEXTS[key]
    template = en if lang is Lang.EN else vi
    return template.format(**values) if values else template


def pick(pair: tuple[str, str], lang: Lang, **values: object) -> str:
    template = pair[1] if lang is Lang.EN else pair[0]
    return template.format(**values) if values else template


def error_message(code: ErrorCode, lang: Lang) -> str:
    return pick(ERROR_MESSAGES.get(code, ERROR_MESSAGES[ErrorCode.INTERNAL]), lang)


def priority_label(category: PriorityCategory, lang: Lang) -> str:
    return pick(PRIORITY_LABELS[category], lang)


def printer_problem(problem: str, lang: Lang) -> str:
    return pick(PRINTER_PROBLEMS.get(problem, PRINTER_PROBLEMS["failed"]), lang)
