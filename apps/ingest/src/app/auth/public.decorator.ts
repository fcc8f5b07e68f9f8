import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'logpipe:public';

/** Marks a controller or route the API key guard lets through: health and metrics, nothing of the API. */
export const Public = (): ClassDecorator & MethodDecorator => SetMetadata(IS_PUBLIC, true);
